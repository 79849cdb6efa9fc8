// `ros console-init`, the console container's entry: the rancher user with the configured SSH keys,
// host keys, then sshd and a getty on each console, kept running.
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { loadConfig } from "../../cloud-config/load.ts";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { readMetadata } from "../../cloud-config/metadata-file.ts";
import { atomicWrite } from "../../os/atomic-write.ts";
import { run } from "../../os/exec.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { applyInConsole } from "../cloud-init/console.ts";
import { prepareSshd, SSHD } from "./sshd.ts";
import { Supervisor } from "./supervise.ts";

export const USER = "rancher";
const CONSOLES = ["ttyS0", "tty1"];

async function ensureUser(): Promise<{ uid: number; gid: number; home: string }> {
  const exists = await run("id", ["-u", USER]).then(() => true, () => false);
  if (!exists) await run("useradd", ["-m", "-U", "-G", "sudo,docker", "-s", "/bin/bash", USER]);
  // '*': no password can match, yet the account is not locked, so key logins work.
  await run("usermod", ["-p", "*", USER]);
  const [uid, gid] = await Promise.all([run("id", ["-u", USER]), run("id", ["-g", USER])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout), home: join(paths.home, USER) };
}

function writeAuthorizedKeys(user: { uid: number; gid: number; home: string }, keys: string[]): void {
  const dir = join(user.home, ".ssh");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  chownSync(dir, user.uid, user.gid);
  const file = join(dir, "authorized_keys");
  atomicWrite(file, keys.map((k) => k.trim()).join("\n") + (keys.length ? "\n" : ""), 0o600);
  chownSync(file, user.uid, user.gid);
}

/** The keys that log in as rancher: the config's, the rancher entry of users:, and the datasource's. */
function authorizedKeys(config: CloudConfig): string[] {
  const own = config.users?.flatMap((u) => (typeof u === "object" && u.name === USER ? (u.ssh_authorized_keys ?? []) : [])) ?? [];
  return [...new Set([...(config.ssh_authorized_keys ?? []), ...own, ...(readMetadata().publicKeys ?? [])])];
}

/** How long sshd may take to bind its port before the console reports ready anyway (getty works). */
const SSHD_LISTEN_WAIT_MS = 60_000;

/**
 * Tells the health check the console is up: once sshd has written `pidFile` (after binding its port)
 * or given up waiting. Services that start after the console thus wait for SSH, the boot's goal.
 */
async function markReady(pidFile: string): Promise<void> {
  if (pidFile) {
    const until = Date.now() + SSHD_LISTEN_WAIT_MS;
    while (!existsSync(pidFile) && Date.now() < until) await sleep(200);
    if (!existsSync(pidFile)) log("console", `sshd wrote no ${pidFile} within ${SSHD_LISTEN_WAIT_MS / 1000} s`);
  }
  atomicWrite(paths.consoleReady, `${pidFile}\n`);
}

/**
 * A container restarted, or started again after a hard reset, still has the last run's files in its
 * /run: a ready mark, and sshd's PID file naming a process that may be alive (PIDs restart low after
 * a boot). Either would report this console ready before its own sshd listens.
 */
function forgetLastRun(): void {
  rmSync(paths.consoleReady, { force: true });
  rmSync(paths.sshdPid, { force: true });
}

export async function consoleInit(): Promise<void> {
  forgetLastRun();
  const { config } = loadConfig();
  const keys = authorizedKeys(config);
  const autologinOn = [config.rancher?.autologin ?? []].flat();
  const user = await ensureUser();
  writeAuthorizedKeys(user, keys);
  log("console", `${keys.length} authorized key(s) for ${USER}`);
  await applyInConsole(config, "init", { defaultUser: USER });
  const sshdConfig = await prepareSshd(config);

  const sup = new Supervisor();
  if (sshdConfig) sup.run("sshd", SSHD, ["-D", "-e", "-f", sshdConfig]);
  for (const tty of CONSOLES) {
    if (!existsSync(join(paths.dev, tty))) continue;
    const autologin = autologinOn.includes(tty) ? ["--autologin", USER] : [];
    // A session of its own, so the tty becomes the login shell's controlling terminal (job control).
    sup.run(`getty ${tty}`, "/sbin/agetty", [...autologin, "--noclear", "--keep-baud", tty, "115200,38400,9600", "linux"], true);
  }
  await markReady(sshdConfig ? paths.sshdPid : "");
  for (const s of ["SIGTERM", "SIGINT"] as const) {
    process.on(s, () => {
      sup.stop();
      setTimeout(() => process.exit(0), 500);
    });
  }
  log("console", "ready");
  await applyInConsole(config, "final", { defaultUser: USER });
}
