// `ros ntp-init`, the ntp service's entry: chrony.conf rendered from the `ntp` key, then chronyd in
// the foreground with signals passed on and its exit code as ours.
import { spawn } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../../cloud-config/load.ts";
import { atomicWrite } from "../../os/atomic-write.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { chronyConf, type ChronyLocations } from "./chrony-conf.ts";

/** In the container's own /run: written from the config at every start. */
const conf = () => join(paths.run, "chrony.conf");
/** Present while the service idles; service.yml's health check passes on it. */
const idleMarker = () => join(paths.run, "ntp-disabled");
const CHRONY_USER = "_chrony";
const FORWARDED = ["SIGTERM", "SIGINT"] as const;

/** chronyd creates the socket's folder itself, owned by its user (it refuses one that is not). */
const locations = (): ChronyLocations => ({ driftFile: paths.chronyDrift, commandSocket: join(paths.run, "chrony/chronyd.sock"), pidFile: join(paths.run, "chrony/chronyd.pid") });

/** chronyd writes its drift file after dropping root: the bound folder must be its user's. */
export function ownDriftDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // The user chronyd itself looks up: this system's, not a host path.
  const entry = readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":")).find((f) => f[0] === CHRONY_USER);
  if (!entry) return log("ntp", `no ${CHRONY_USER} user in /etc/passwd: the drift file may not be saved`);
  chownSync(dir, Number(entry[2]), Number(entry[3]));
}

/**
 * With ntp.enabled false the service idles rather than exits: restart: always would start it again
 * and again, and a stopped service reads as failed in `ros service ps`.
 */
function idle(): void {
  atomicWrite(idleMarker(), "ntp.enabled is false\n");
  log("ntp", "ntp.enabled is false: chronyd is not started (the clock is left alone)");
  setInterval(() => undefined, 1 << 30);
  for (const s of FORWARDED) process.on(s, () => process.exit(0));
}

/** `chronydOptions`: more of chronyd's own (-x leaves the clock alone: a host whose clock is not its own). */
export async function ntpInit(chronydOptions: string[] = []): Promise<void> {
  const ntp = loadConfig().config.ntp;
  if (ntp?.enabled === false) return idle();
  // Left by an earlier start of this container that idled: the health check must see chronyd now.
  rmSync(idleMarker(), { force: true });
  const at = locations();
  const rendered = chronyConf(ntp, at);
  for (const w of rendered.warnings) log("ntp", w);
  atomicWrite(conf(), rendered.text);
  try {
    ownDriftDir(dirname(at.driftFile));
  } catch (e) {
    // Without it chronyd still keeps time; it only relearns the drift at each start.
    log("ntp", `drift folder: ${(e as Error).message}`);
  }

  const args = ["-d", "-f", conf(), ...chronydOptions];
  log("ntp", `chronyd ${args.join(" ")}`);
  const child = spawn("chronyd", args, { stdio: "inherit" });
  for (const s of FORWARDED) process.on(s, () => child.kill(s));
  child.on("error", (e) => {
    log("ntp", `chronyd: ${e.message}`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    log("ntp", `chronyd exited (${signal ?? code})`);
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}
