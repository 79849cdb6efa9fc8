// Starts the system services the image's os-config.yml lists, on the system Docker, in file order.
// The full runner (graph, health, user scope) is issue #4; this creates and starts containers.
import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { parse } from "yaml";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { containerSpec } from "./container-spec.ts";
import type { ServiceDef } from "./service-def.ts";

export function defaultServices(): Record<string, ServiceDef> {
  const cfg = parse(readFileSync(paths.osConfig, "utf8")) as { rancher?: { services?: Record<string, ServiceDef> } };
  return cfg?.rancher?.services ?? {};
}

export async function startService(docker: Docker, name: string, def: ServiceDef): Promise<void> {
  const existing = docker.getContainer(name);
  await existing.remove({ force: true }).catch(() => undefined);
  const container = await docker.createContainer(containerSpec(name, def));
  await container.start();
}

export async function startSystemServices(docker: Docker): Promise<void> {
  for (const [name, def] of Object.entries(defaultServices())) {
    if ((def.labels?.["io.rancher.os.scope"] ?? "system") !== "system") continue;
    try {
      await startService(docker, name, def);
      log("services", `${name} started`);
    } catch (e) {
      // One service failing never stops the others.
      log("services", `${name} failed to start: ${(e as Error).message}`);
    }
  }
}
