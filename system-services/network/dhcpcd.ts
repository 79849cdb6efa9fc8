// dhcpcd, one process per DHCP interface: changing one interface's options (or its link going away)
// restarts that client alone and leaves the other leases untouched, and each is supervised on its
// own. Each runs in the foreground (-B) with --persistent, so stopping it (a service restart) leaves
// its lease configured until the next client renews it. A record per interface (PID and options)
// tells the next `apply` what runs; dhcpcd rewrites its own command line, so /proc cannot.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "../../os/atomic-write.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { processAlive } from "../../os/process-alive.ts";
import type { Running } from "./diff.ts";

export const dhcpDir = () => join(paths.networkRun, "dhcpcd");
/** Where the hook leaves the DNS each server gave, one file per interface. */
export const dnsDir = () => join(paths.networkRun, "dns");
const hookFile = () => join(paths.networkRun, "dhcpcd-hook.sh");
const record = (iface: string) => join(dhcpDir(), `${iface}.json`);

interface ClientRecord { pid: number; args: string[] }

/** dhcpcd's hook: it configures addresses and routes itself; the script only hands the DNS over. */
function writeHook(): string {
  const file = hookFile();
  const dir = dnsDir();
  atomicWrite(
    file,
    `#!/bin/sh
# Written by the Corral network service: passes the DNS a DHCP server gave to resolv.conf's renderer.
f="${dir}/$interface"
case "$reason" in
BOUND|RENEW|REBIND|REBOOT|INFORM|STATIC)
  printf 'nameservers=%s\\nsearch=%s\\n' "$new_domain_name_servers" "\${new_domain_search:-$new_domain_name}" > "$f.tmp" && mv "$f.tmp" "$f" ;;
EXPIRE|FAIL|RELEASE|NOCARRIER|DEPARTED) rm -f "$f" ;;
esac
exit 0
`,
    0o755,
  );
  mkdirSync(dir, { recursive: true });
  return file;
}

export const dhcpcdArgs = (iface: string, options: string[], hook: string) => ["--nobackground", "--persistent", "--script", hook, ...options, iface];

function readRecord(iface: string): ClientRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(record(iface), "utf8")) as ClientRecord;
    const comm = readFileSync(join(paths.proc, String(r.pid), "comm"), "utf8").trim();
    return processAlive(r.pid) && comm === "dhcpcd" ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The DHCP clients that run now, by their records. */
export function runningClients(): Running {
  if (!existsSync(dhcpDir())) return {};
  const out: Running = {};
  for (const f of readdirSync(dhcpDir()).filter((f) => f.endsWith(".json"))) {
    const iface = f.slice(0, -5);
    const r = readRecord(iface);
    if (r) out[iface] = r.args;
    else rmSync(record(iface), { force: true });
  }
  return out;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) if (!processAlive(pid)) return true;
  return !processAlive(pid);
}

/** Stops an interface's client by its record, whoever started it. */
async function stopRecorded(iface: string): Promise<void> {
  const r = readRecord(iface);
  rmSync(record(iface), { force: true });
  if (!r) return;
  process.kill(r.pid, "SIGTERM");
  if (!(await waitGone(r.pid, 5000))) process.kill(r.pid, "SIGKILL");
}

export interface DhcpClients {
  start(iface: string, options: string[]): void;
  stop(iface: string): Promise<void>;
}

/** For the running service: its children, restarted with a backoff while the config wants them. */
export class SupervisedClients implements DhcpClients {
  private children = new Map<string, ChildProcess>();
  private stopping = false;

  start(iface: string, options: string[]): void {
    let backoff = 1000;
    const launch = () => {
      const hook = writeHook();
      const started = Date.now();
      const child = spawn("dhcpcd", dhcpcdArgs(iface, options, hook), { stdio: ["ignore", "inherit", "inherit"] });
      this.children.set(iface, child);
      mkdirSync(dhcpDir(), { recursive: true });
      if (child.pid) atomicWrite(record(iface), JSON.stringify({ pid: child.pid, args: options } satisfies ClientRecord));
      child.on("error", (e) => log("network", `${iface}: dhcpcd: ${e.message} (is dhcpcd installed in the service's image?)`));
      child.on("close", (code, signal) => {
        if (this.children.get(iface) !== child) return;
        this.children.delete(iface);
        if (this.stopping) return;
        backoff = Date.now() - started > 60_000 ? 1000 : Math.min(backoff * 2, 30_000);
        log("network", `${iface}: dhcpcd exited (${signal ?? code}); restarting in ${backoff / 1000}s`);
        setTimeout(() => {
          if (!this.stopping && !this.children.has(iface)) launch();
        }, backoff);
      });
    };
    launch();
  }

  async stop(iface: string): Promise<void> {
    const child = this.children.get(iface);
    this.children.delete(iface);
    if (child) child.kill("SIGTERM");
    await stopRecorded(iface);
  }

  /** Stops every client: their leases stay configured (--persistent) for the next start to renew. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.keys()].map((iface) => this.stop(iface)));
  }
}

/** For a one-off `ros network apply` with no service running: clients left running on their own. */
export class DetachedClients implements DhcpClients {
  start(iface: string, options: string[]): void {
    const hook = writeHook();
    mkdirSync(dhcpDir(), { recursive: true });
    const out = openSync(join(dhcpDir(), `${iface}.log`), "a");
    const child = spawn("dhcpcd", dhcpcdArgs(iface, options, hook), { stdio: ["ignore", out, out], detached: true });
    closeSync(out);
    child.on("error", (e) => log("network", `${iface}: dhcpcd: ${e.message} (is dhcpcd installed?)`));
    if (child.pid) atomicWrite(record(iface), JSON.stringify({ pid: child.pid, args: options } satisfies ClientRecord));
    child.unref();
  }

  stop(iface: string): Promise<void> {
    return stopRecorded(iface);
  }
}
