// The boot's services stage: every service the merged config names (its own and the catalog's that
// services_include turns on), brought up by the runner; oneshots run again on every boot.
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { log } from "../log.ts";
import { engines } from "./engines.ts";
import { up, type Outcome } from "./runner.ts";
import { toServices } from "./service.ts";
import type Docker from "dockerode";

export async function startServices(system: Docker, config: CloudConfig): Promise<Outcome[]> {
  const services = toServices(config.rancher?.services ?? {});
  return up(services, engines(system), { environment: config.rancher?.environment ?? {}, rerunOneshots: true, log: (l) => log("services", l) });
}
