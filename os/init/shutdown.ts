// poweroff, reboot and halt reach PID 1 as signals (busybox's convention, forwarded by tini):
// SIGUSR2 powers off, SIGTERM reboots, SIGUSR1 halts. Stop the services and Docker, then the kernel.
import type { ChildProcess } from "node:child_process";
import type Docker from "dockerode";
import { run } from "../exec.ts";
import { log } from "../log.ts";

const ACTIONS = { SIGUSR2: "poweroff", SIGTERM: "reboot", SIGUSR1: "halt" } as const;
const STOP_TIMEOUT_S = 10;

export interface Running { docker?: Docker; dockerd?: ChildProcess }

async function stopEverything(r: Running): Promise<void> {
  if (r.docker) {
    const containers = await r.docker.listContainers().catch(() => []);
    await Promise.all(containers.map((c) => r.docker!.getContainer(c.Id).stop({ t: STOP_TIMEOUT_S }).catch(() => undefined)));
  }
  if (r.dockerd && r.dockerd.exitCode === null) {
    const exited = new Promise((res) => r.dockerd!.once("exit", res));
    r.dockerd.kill("SIGTERM");
    await Promise.race([exited, new Promise((res) => setTimeout(res, STOP_TIMEOUT_S * 1000))]);
  }
  await run("sync", []).catch(() => undefined);
}

export function handleShutdownSignals(running: Running): void {
  let shuttingDown = false;
  for (const [signal, action] of Object.entries(ACTIONS)) {
    process.on(signal as NodeJS.Signals, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      log("init", `${action}: stopping services`);
      stopEverything(running)
        .catch((e) => log("init", `shutdown: ${(e as Error).message}`))
        .finally(() => {
          log("init", `${action} now`);
          // -f: act at once (we are PID 1's child; there is no one else to ask).
          run(action, ["-f"]).catch((e) => log("init", `${action} failed: ${(e as Error).message}`));
        });
    });
  }
}
