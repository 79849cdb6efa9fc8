// The config schema, the one source of truth: its types are what every service and command reads,
// and it is the validator every config file goes through.
import { z } from "zod";
import { cloudInitShape } from "./cloud-init.ts";
import { rancher } from "./rancher.ts";

export const cloudConfigSchema = z.strictObject({ ...cloudInitShape, rancher: rancher.optional() });

export type CloudConfig = z.infer<typeof cloudConfigSchema>;
export type RancherConfig = NonNullable<CloudConfig["rancher"]>;
export type ServiceConfig = NonNullable<RancherConfig["services"]>[string];
export type NetworkConfig = NonNullable<RancherConfig["network"]>;
export type InterfaceConfig = NonNullable<NetworkConfig["interfaces"]>[string];
export type DockerConfig = NonNullable<RancherConfig["docker"]>;
export type WriteFile = NonNullable<CloudConfig["write_files"]>[number];

export { IGNORED } from "./ignored.ts";
