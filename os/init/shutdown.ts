// poweroff, reboot and halt reach PID 1 as signals (busybox's convention, forwarded by tini):
// SIGUSR2 powers off, SIGTERM reboots, SIGUSR1 halts. The services stop in reverse start order,
// then the system Docker; then everything is synced and the kernel told.
import type { ChildProcess } from "node:child_process";
import type Docker from "dockerode";
import { loadConfig, readCmdline } from "../../cloud-config/load.ts";
import { run } from "../exec.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { configuredServices } from "../services/configured.ts";
import { engines } from "../services/engines.ts";
import { LABEL, type Service } from "../services/service.ts";
import { stopServices } from "../services/stop.ts";

export const SHUTDOWN_SIGNALS = { poweroff: "SIGUSR2", reboot: "SIGTERM", halt: "SIGUSR1" } as const;
export type PowerAction = keyof typeof SHUTDOWN_SIGNALS;

const DOCKERD_STOP_S = 10;
/** For naming the services (a remote catalog may not answer); past it, every container stops at once. */
const LIST_TIMEOUT_MS = 5000;
/** A user Docker that does not answer this soon has its services stopped by its own exit. */
const USER_DOCKER_WAIT_MS = 3000;
/** Whatever hangs, the host goes down after this. */
const DEADLINE_MS = 180_000;

export interface Running { docker?: Docker; dockerd?: ChildProcess }

const timeout = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms).unref());

/** The services the config asks for, as the boot brought them up; none when they cannot be named in time. */
async function services(): Promise<Service[]> {
  const say = (m: string) => log("shutdown", m);
  const named = configuredServices(loadConfig({ cmdline: readCmdline() }).config, { preferCache: true, timeoutMs: LIST_TIMEOUT_MS, warn: say }).then(
    (r) => r.services,
    (e: Error) => (say(`cannot name the services (${e.message}); stopping every container at once`), []),
  );
  return Promise.race([named, timeout(LIST_TIMEOUT_MS, undefined)]).then((s) => s ?? (say("naming the services took too long; stopping every container at once"), []));
}

/**
 * The system services' containers go once stopped (createonly ones, which hold volumes, stay):
 * on an installed host the system Docker's store persists, and a container left there would be
 * started by dockerd itself at the next boot (restart: always), before its dependencies and perhaps
 * from the version before an upgrade. The runner makes them afresh at every boot.
 */
async function removeSystemServices(docker: Docker): Promise<void> {
  const all = await docker.listContainers({ all: true, filters: { label: [LABEL.service] } });
  await Promise.all(
    all
      .filter((c) => c.Labels[LABEL.createonly]?.toLowerCase() !== "true")
      .map((c) => docker.getContainer(c.Id).remove({ force: true }).catch((e: Error) => log("shutdown", `${c.Names[0] ?? c.Id}: not removed (${e.message})`))),
  );
}

async function stopEverything(r: Running): Promise<void> {
  if (r.docker) {
    await stopServices(await services(), engines(r.docker, paths.userDockerSocket, USER_DOCKER_WAIT_MS), { log: (l) => log("shutdown", l) });
    await removeSystemServices(r.docker).catch((e: Error) => log("shutdown", `system service containers not removed: ${e.message}`));
  }
  if (r.dockerd && r.dockerd.exitCode === null) {
    const exited = new Promise((res) => r.dockerd!.once("exit", res));
    r.dockerd.kill("SIGTERM");
    await Promise.race([exited, timeout(DOCKERD_STOP_S * 1000, undefined)]);
  }
}

async function shutDown(running: Running, action: PowerAction): Promise<void> {
  log("init", `${action}: stopping services`);
  try {
    const done = await Promise.race([stopEverything(running).then(() => true), timeout(DEADLINE_MS, false)]);
    if (!done) log("init", `${action}: services still stopping after ${DEADLINE_MS / 1000} s; going on`);
  } catch (e) {
    log("init", `shutdown: ${(e as Error).message}`);
  }
  await run("sync", []).catch((e: Error) => log("init", `sync: ${e.message}`));
  log("init", `${action} now`);
  // -f: act at once (we are PID 1's child; there is no one else to ask).
  await run(action, ["-f"]).catch((e: Error) => log("init", `${action} failed: ${e.message}`));
}

export function handleShutdownSignals(running: Running): void {
  let shuttingDown = false;
  for (const [action, signal] of Object.entries(SHUTDOWN_SIGNALS) as [PowerAction, NodeJS.Signals][]) {
    process.on(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      void shutDown(running, action);
    });
  }
}
