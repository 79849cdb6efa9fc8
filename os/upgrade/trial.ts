// The first boot of an upgraded slot is a trial (GRUB set tried_slot to it and left default_slot on
// the old one). It commits itself (default_slot = this slot) only when every system service is
// healthy and SSH answers within COMMIT_BUDGET_MS; otherwise it reboots, and GRUB boots the old slot.
// A trial that never gets this far (a panic, a hang, a power cut) is caught by the kernel's panic
// reboot or the software watchdog armed here, and the old slot, booting next, notes the fallback.
import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { connect } from "node:net";
import type Docker from "dockerode";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { run } from "../exec.ts";
import { readBootEnv, updateBootEnv } from "../install/boot-env.ts";
import type { GrubEnv } from "../install/grubenv.ts";
import { otherSlot, type Slot } from "../install/layout.ts";
import { readSlots, runningSlot } from "../install/slots.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { configuredServices } from "../services/configured.ts";
import { engines } from "../services/engines.ts";
import { serviceStatus, type Status } from "../services/status.ts";
import { VERSION } from "../version.ts";
import { readRecord, writeRecord } from "./record.ts";

/** From init's start: past it, a trial that is not healthy goes back to the old slot. */
export const COMMIT_BUDGET_MS = 5 * 60_000;
/** The watchdog fires this long after the budget, should the boot hang before deciding. */
const WATCHDOG_SLACK_S = 120;

export type TrialState = { kind: "none" } | { kind: "trial"; slot: Slot } | { kind: "fell back"; tried: Slot; running: Slot };

export function trialState(env: GrubEnv, running: Slot | undefined): TrialState {
  if (!running || !env.tried_slot) return { kind: "none" };
  if (env.tried_slot === running) return env.default_slot === running ? { kind: "none" } : { kind: "trial", slot: running };
  return { kind: "fell back", tried: env.tried_slot as Slot, running };
}

/** What keeps a trial from committing now: unhealthy services, services still on an old image, and SSH when it should answer. */
export function notReady(statuses: Status[], sshAnswers: boolean | undefined): string[] {
  const bad = statuses
    .filter((s) => s.scope === "system" && s.kind !== "createonly")
    .filter((s) => (s.kind === "oneshot" ? !(s.state === "done" || s.state === "running") : !(s.state === "running" && s.health === "healthy")))
    .map((s) => `${s.name} ${s.state}${s.health !== "-" ? `/${s.health}` : ""}`)
    .concat(statuses.filter((s) => s.scope === "system" && s.staleImage).map((s) => `${s.name} runs ${s.staleImage}`));
  return sshAnswers === false ? [...bad, "SSH does not answer"] : bad;
}

/** True when something on the port speaks SSH (its version line starts "SSH-"). */
export function sshBanner(port: number, host = "127.0.0.1", timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(timeoutMs, () => done(false));
    s.on("error", () => done(false));
    s.once("data", (d) => done(d.toString("latin1").startsWith("SSH-")));
  });
}

/** Armed for a trial boot: the kernel reboots unless it is closed with the magic "V" in time. */
async function armWatchdog(seconds: number): Promise<number | undefined> {
  try {
    await run("modprobe", ["softdog", `soft_margin=${seconds}`]);
    return existsSync(paths.devWatchdog) ? openSync(paths.devWatchdog, "w") : undefined;
  } catch (e) {
    log("upgrade", `no watchdog for this trial boot (${(e as Error).message}); the budget alone decides`);
    return undefined;
  }
}

function disarmWatchdog(fd: number | undefined): void {
  if (fd === undefined) return;
  writeSync(fd, "V");
  closeSync(fd);
}

async function noteFallback(tried: Slot, running: Slot): Promise<void> {
  const rec = readRecord();
  // A trial that failed its health check has already said why; one that never got that far has not.
  if (!(rec?.outcome === "failed" && rec.slot === tried)) {
    const version = rec?.slot === tried ? rec.version : ((await readSlots()).slots.find((s) => s.slot === tried)?.release?.version ?? "unknown");
    writeRecord({ outcome: "fell back", slot: tried, version, from: { slot: running, version: VERSION }, why: "it did not reach its health check: a kernel panic, a hang or a power cut on its first boot" });
  }
  await updateBootEnv((env) => ({ ...env, tried_slot: "" }));
  log("upgrade", `slot ${tried} was tried and did not commit; slot ${running} (${VERSION}) is running and stays the default`);
}

/** A trial boot in progress: its slot, its armed watchdog, and when init started. */
export interface Trial { slot: Slot; watchdog?: number; startedAt: number }

/**
 * Run by init as soon as the state partition is mounted (the record lives there): notes a fallback,
 * or starts a trial and arms the watchdog before anything else can hang. Never throws.
 */
export async function beginTrial(startedAt: number): Promise<Trial | undefined> {
  try {
    const running = runningSlot();
    if (!running) return undefined;
    const state = trialState(await readBootEnv(), running);
    if (state.kind === "fell back") await noteFallback(state.tried, state.running);
    if (state.kind !== "trial") return undefined;
    const watchdog = await armWatchdog(Math.ceil((startedAt + COMMIT_BUDGET_MS - Date.now()) / 1000) + WATCHDOG_SLACK_S);
    log("upgrade", `trial boot of slot ${state.slot} (${VERSION}): committing once the system services are healthy and SSH answers, within ${COMMIT_BUDGET_MS / 1000} s of boot`);
    return { slot: state.slot, watchdog, startedAt };
  } catch (e) {
    log("upgrade", `cannot read the upgrade state: ${(e as Error).message}`);
    return undefined;
  }
}

/** Run by init once the system Docker answers, beside the services stage. */
export async function settleTrial(t: Trial, system: Docker, config: CloudConfig): Promise<void> {
  try {
    await decide(t, system, config);
  } catch (e) {
    // Not committed: the watchdog (or the next reboot) brings the old slot back.
    log("upgrade", `trial of slot ${t.slot} stopped: ${(e as Error).message}`);
  }
}

async function decide({ slot, watchdog, startedAt }: Trial, system: Docker, config: CloudConfig): Promise<void> {
  const deadline = startedAt + COMMIT_BUDGET_MS;
  const { services } = await configuredServices(config);
  const ssh = config.rancher?.ssh;
  const port = ssh?.port ?? 22;
  const host = !ssh?.listen_address || ssh.listen_address === "0.0.0.0" || ssh.listen_address === "::" ? "127.0.0.1" : ssh.listen_address;
  const e = engines(system);
  let blockers: string[] = ["not checked yet"];
  while (Date.now() < deadline) {
    blockers = notReady(await serviceStatus(services, e), ssh?.daemon === false ? undefined : await sshBanner(port, host));
    if (blockers.length === 0) break;
    await new Promise((r) => setTimeout(r, 3000));
  }
  const rec = readRecord();
  const from = rec?.slot === slot && rec.from ? rec.from : { slot: otherSlot(slot), version: "unknown" };
  if (blockers.length === 0) {
    await updateBootEnv((env) => ({ ...env, default_slot: slot, tried_slot: "" }));
    writeRecord({ outcome: "committed", slot, version: VERSION, from });
    disarmWatchdog(watchdog);
    log("upgrade", `slot ${slot} (${VERSION}) is healthy: committed, it boots by default now`);
    return;
  }
  const why = `not healthy ${COMMIT_BUDGET_MS / 1000} s after boot: ${blockers.join(", ")}`;
  writeRecord({ outcome: "failed", slot, version: VERSION, from, why });
  log("upgrade", `slot ${slot} (${VERSION}) is ${why}; rebooting into slot ${from.slot}`);
  // init's own reboot: the services stop in order, and GRUB boots the default (old) slot.
  process.kill(process.pid, "SIGTERM");
}
