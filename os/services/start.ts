// Starts the system services the merged config lists, on the system Docker, in config order.
// The full runner (graph, health, user scope) is issue #4; this creates and starts containers.
import type Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";
import { log } from "../log.ts";
import { containerSpec } from "./container-spec.ts";

async function startContainer(docker: Docker, spec: Docker.ContainerCreateOptions): Promise<void> {
  await docker.getContainer(spec.name!).remove({ force: true }).catch(() => undefined);
  await (await docker.createContainer(spec)).start();
}

export async function startSystemServices(docker: Docker, services: Record<string, ServiceConfig>): Promise<void> {
  for (const [name, def] of Object.entries(services)) {
    const spec = containerSpec(name, def);
    if ((spec.Labels?.["io.rancher.os.scope"] ?? "system") !== "system") continue;
    try {
      await startContainer(docker, spec);
      log("services", `${name} started`);
    } catch (e) {
      // One service failing never stops the others.
      log("services", `${name} failed to start: ${(e as Error).message}`);
    }
  }
}
