// Gets sshd's config ready for the console: host keys, then the config rendered from rancher.ssh,
// checked by sshd itself (`sshd -t`) and by listening where it says. A config that fails either
// gives way to the defaults, so a bad port or address never locks the user out.
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { atomicWrite } from "../../os/atomic-write.ts";
import { run } from "../../os/exec.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { hostKeys } from "./host-keys.ts";
import { configuredListen, DEFAULT_LISTEN, renderSshdConfig, type Listen } from "./sshd-config.ts";

export const SSHD = "/usr/sbin/sshd";

/** The console may start before the network service has put listen_address on a link. */
const ADDRESS_WAIT_MS = 30_000;

const describe = (l: Listen) => (l.address ? `${l.address} port ${l.port}` : `port ${l.port} on every address`);

/** Writes the config for `listen` and asks sshd whether it would run with it: why not, or undefined. */
async function refusal(listen: Listen, keys: string[]): Promise<string | undefined> {
  atomicWrite(paths.sshdConfig, renderSshdConfig(listen, keys, paths.sshdPid));
  return run(SSHD, ["-t", "-f", paths.sshdConfig]).then(
    () => undefined,
    (e: Error) => `sshd refuses ${describe(listen)}: ${e.message}`,
  );
}

function tryListen(listen: Listen): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", resolve);
    try {
      server.listen({ port: listen.port, host: listen.address }, () => server.close(() => resolve(undefined)));
    } catch (e) {
      resolve(e as NodeJS.ErrnoException);
    }
  });
}

/** Why sshd could not listen there (the address is not on this host, the port is taken), or undefined. */
async function listenProblem(listen: Listen, waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (let waited = false; ; waited = true) {
    const e = await tryListen(listen);
    if (!e) return undefined;
    const missing = e.code === "EADDRNOTAVAIL";
    if (!missing || Date.now() >= deadline) return `cannot listen on ${describe(listen)}: ${missing ? "the address is not on this host" : e.message}`;
    if (!waited) log("console", `rancher.ssh.listen_address ${listen.address} is not on this host yet; waiting up to ${waitMs / 1000}s for it`);
    await sleep(1000);
  }
}

/**
 * Host keys and sshd's config from `rancher.ssh`: the config file to run sshd with, or undefined when
 * there must be no sshd (`rancher.ssh.daemon: false`, or sshd refuses even the defaults). Never throws
 * for a bad value: it is logged and the defaults stand in.
 */
export async function prepareSshd(config: CloudConfig, addressWaitMs = ADDRESS_WAIT_MS): Promise<string | undefined> {
  const ssh = config.rancher?.ssh;
  if (ssh?.daemon === false) {
    log("console", "rancher.ssh.daemon is false: no sshd");
    return undefined;
  }
  // sshd's privilege separation directory: it will not start without it.
  mkdirSync(paths.sshdRun, { recursive: true, mode: 0o755 });
  const keys = await hostKeys(ssh?.keys);
  const wanted = configuredListen(config);
  const isDefault = wanted.port === DEFAULT_LISTEN.port && !wanted.address;
  let problem = (await refusal(wanted, keys)) ?? (isDefault ? undefined : await listenProblem(wanted, addressWaitMs));
  if (!problem) {
    log("console", `sshd on ${describe(wanted)}`);
    return paths.sshdConfig;
  }
  if (!isDefault) {
    log("console", `${problem}; falling back to sshd on ${describe(DEFAULT_LISTEN)}`);
    problem = await refusal(DEFAULT_LISTEN, keys);
    if (!problem) return paths.sshdConfig;
  }
  log("console", `${problem}; no sshd`);
  return undefined;
}
