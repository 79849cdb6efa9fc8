// The boot's services stage: every service the config asks for, brought up by the runner (oneshots
// run again on every boot), then kept healthy by a supervisor on each Docker.
import type Docker from "dockerode";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { loadConfig, readCmdline } from "../../cloud-config/load.ts";
import { log } from "../log.ts";
import { configuredServices } from "./configured.ts";
import { engines } from "./engines.ts";
import { upReloading, type Loaded } from "./reload.ts";
import { supervise } from "./supervisor.ts";

/**
 * How long a service waits for a dependency to turn healthy at boot. Longer than the runner's
 * default: the boot starts everything at once, and on a slow or emulated machine the user Docker
 * alone can take minutes to answer. Waiting costs nothing to the services that do not depend on it.
 */
const BOOT_READY_TIMEOUT_MS = 5 * 60_000;

export async function startServices(system: Docker, config: CloudConfig): Promise<void> {
  const say = (l: string) => log("services", l);
  const { services, errors } = await configuredServices(config);
  for (const e of errors) say(`error: ${e}`);
  const e = engines(system);
  supervise(system, "system", { log: say });
  const reload = async (): Promise<Loaded> => {
    const fresh = loadConfig({ cmdline: readCmdline() }).config;
    const next = await configuredServices(fresh);
    for (const err of next.errors) say(`error: ${err}`);
    return { services: next.services, environment: fresh.rancher?.environment ?? {} };
  };
  const outcomes = upReloading({ services, environment: config.rancher?.environment ?? {} }, reload, e, { rerunOneshots: true, readyTimeoutMs: BOOT_READY_TIMEOUT_MS, log: say });
  // The user Docker is itself a service: supervise it once it answers.
  if (services.some((s) => s.scope === "user") || services.some((s) => s.name === "docker")) {
    e.user().then((user) => supervise(user, "user", { log: say }), (err: Error) => say(err.message));
  }
  await outcomes;
}
