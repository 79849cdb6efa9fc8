// `ros network-init`, the network service's entry: apply rancher.network, then stay to supervise
// the DHCP clients, re-render resolv.conf when a DHCP server's DNS changes, and re-apply on SIGHUP
// (what `ros network apply` sends it). `ros network apply [--dry-run]`: one pass, printed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../cloud-config/load.ts";
import type { NetworkConfig } from "../../cloud-config/schema/index.ts";
import { atomicWrite } from "../../os/atomic-write.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { processAlive } from "../../os/process-alive.ts";
import { apply, writeHostFiles, type ApplyResult } from "./apply.ts";
import { DetachedClients, dnsDir, SupervisedClients } from "./dhcpcd.ts";
import { DEFAULT_WAIT_S } from "./wait.ts";

const pidFile = () => join(paths.networkRun, "network-init.pid");
/** The last pass of the running service, numbered, for `ros network apply` to print. */
const resultFile = () => join(paths.networkRun, "last-apply.json");

interface Pass extends ApplyResult { seq: number }

const networkConfig = (): NetworkConfig | undefined => loadConfig().config.rancher?.network;

function report(r: ApplyResult): void {
  for (const c of r.changes) log("network", c);
  for (const e of r.errors) log("network", `error: ${e}`);
  for (const n of r.notes) log("network", n);
  if (r.changes.length + r.errors.length === 0) log("network", "no changes");
}

export async function networkInit(): Promise<void> {
  mkdirSync(dnsDir(), { recursive: true });
  atomicWrite(pidFile(), String(process.pid));
  const clients = new SupervisedClients();
  let net = networkConfig();
  let seq = 0;
  let passes: Promise<void> = Promise.resolve();
  // Passes run one after the other: a SIGHUP during one queues the next.
  const pass = () =>
    (passes = passes.then(async () => {
      try {
        net = networkConfig();
        const r = await apply(net, clients);
        report(r);
        atomicWrite(resultFile(), JSON.stringify({ seq: ++seq, ...r } satisfies Pass));
      } catch (e) {
        log("network", `error: ${(e as Error).message} (the service keeps running; fix the cause and run \`ros network apply\`)`);
      }
    }));
  process.on("SIGHUP", () => void pass());
  let stopping = false;
  for (const s of ["SIGTERM", "SIGINT"] as const) {
    process.on(s, () => {
      if (stopping) return;
      stopping = true;
      void clients.stopAll().finally(() => {
        rmSync(pidFile(), { force: true });
        log("network", "stopped");
        process.exit(0);
      });
    });
  }
  // Watching before the first pass: a lease can come during its wait.
  let timer: NodeJS.Timeout | undefined;
  watch(dnsDir(), () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        for (const f of writeHostFiles(net)) log("network", `files: write ${f} (DNS from DHCP)`);
      } catch (e) {
        log("network", `error: ${(e as Error).message} (check that ${paths.resolvConf} is writable)`);
      }
    }, 200);
  });
  await pass();
  log("network", "ready");
  watchNewLinks(() => void pass());
}

/** How often the service looks for links that appeared (a NIC plugged in; sysfs sends no inotify). */
const LINK_POLL_MS = 2000;

/**
 * Calls `onNew` when a NIC appears, so one plugged in later gets its config without a restart.
 * Only links with a device behind them count: not the bonds, VLANs, bridges and veths made here
 * and by Docker.
 */
function watchNewLinks(onNew: () => void): void {
  const names = () => new Set(existsSync(paths.sysClassNet) ? readdirSync(paths.sysClassNet).filter((n) => existsSync(join(paths.sysClassNet, n, "device"))) : []);
  let known = names();
  setInterval(() => {
    const now = names();
    const added = [...now].filter((n) => !known.has(n));
    known = now;
    if (added.length === 0) return;
    log("network", `new link ${added.join(", ")}: applying the config`);
    onNew();
  }, LINK_POLL_MS).unref();
}

/** The running service's PID, if one runs against this root. */
function servicePid(): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(), "utf8"));
    return pid !== process.pid && processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

const lastPass = (): Pass | undefined => {
  try {
    return JSON.parse(readFileSync(resultFile(), "utf8")) as Pass;
  } catch {
    return undefined;
  }
};

/** The service owns the DHCP clients: it applies, this waits for its pass and prints it. */
async function viaService(pid: number, net: NetworkConfig | undefined): Promise<ApplyResult> {
  const before = lastPass()?.seq ?? 0;
  process.kill(pid, "SIGHUP");
  const until = Date.now() + ((net?.wait_timeout ?? DEFAULT_WAIT_S) + 60) * 1000;
  while (Date.now() < until) {
    const last = lastPass();
    if (last && last.seq > before) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { changes: [], errors: [`the network service (pid ${pid}) did not finish applying in time; see its log: ros service logs network`], notes: [] };
}

export async function networkApply(opts: { dryRun?: boolean }): Promise<void> {
  const net = networkConfig();
  const pid = opts.dryRun ? undefined : servicePid();
  const r = opts.dryRun ? await apply(net, undefined) : pid ? await viaService(pid, net) : await apply(net, new DetachedClients());
  const verb = opts.dryRun ? "would " : "";
  for (const c of r.changes) process.stdout.write(`${verb}${c}\n`);
  if (r.changes.length === 0) process.stdout.write("no changes\n");
  for (const n of r.notes) process.stdout.write(`${n}\n`);
  for (const e of r.errors) process.stderr.write(`error: ${e}\n`);
  if (r.errors.length) process.exitCode = 1;
}
