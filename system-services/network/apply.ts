// One pass of the network config against the host, in this order: pre_cmds, kernel modules, the
// diff's steps (links, per-interface pre_up … post_up, see diff.ts), resolv.conf and the proxy
// environment, the bounded wait for addresses, post_cmds. A failing step is reported with its
// interface and what to do; the interface's later link steps are skipped, everything else goes on.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { NetworkConfig } from "../../cloud-config/schema/index.ts";
import { run } from "../../os/exec.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { dnsDir, runningClients, type DhcpClients } from "./dhcpcd.ts";
import { diff, type Step } from "./diff.ts";
import { parseDhcpDns, renderEnvironment, renderResolvConf, writeHostFile } from "./host-files.ts";
import { readState } from "./links.ts";
import { plan } from "./plan.ts";
import { DEFAULT_WAIT_S, waitReady } from "./wait.ts";

export interface ApplyResult {
  /** What changed (or, dry, would change), one "<interface>: <what>" line each. */
  changes: string[];
  errors: string[];
  /** The wait's report: late leases, links without carrier. */
  notes: string[];
}

/** What to do about a failed `ip` command, from the kernel's answer. */
function hint(message: string, step: Step): string {
  if (/Unknown device type|not supported/i.test(message)) return "the kernel lacks support for this link type: add its module to rancher.network.modules, or use a kernel built with it";
  if (/Cannot find device/.test(message)) return `check that ${step.iface} (and the link it needs) exists: "ip link"`;
  if (/Operation not permitted/.test(message)) return "the network service needs CAP_NET_ADMIN (run it privileged)";
  if (/File exists/.test(message)) return "another address or route is in the way: check \"ip addr\" and \"ip route\"";
  return "fix the interface's settings in rancher.network.interfaces and run `ros network apply`";
}

async function shell(cmd: string): Promise<void> {
  const { stdout, stderr } = await run("sh", ["-c", cmd]);
  for (const line of `${stdout}${stderr}`.split("\n").filter(Boolean)) log("network", `  ${line}`);
}

async function commands(which: "pre_cmds" | "post_cmds", net: NetworkConfig | undefined, out: ApplyResult): Promise<void> {
  for (const cmd of net?.[which] ?? []) {
    try {
      await shell(cmd);
      out.changes.push(`${which}: ${cmd}`);
    } catch (e) {
      out.errors.push(`${which}: ${(e as Error).message} (fix the command in rancher.network.${which})`);
    }
  }
}

/** The DNS DHCP servers gave, from the files dhcpcd's hook left. */
function dhcpDns() {
  if (!existsSync(dnsDir())) return [];
  return readdirSync(dnsDir())
    .filter((f) => !f.endsWith(".tmp"))
    .sort()
    .map((f) => parseDhcpDns(readFileSync(join(dnsDir(), f), "utf8")));
}

/** Renders resolv.conf and the proxy environment; returns the files that changed (or would). */
export function writeHostFiles(net: NetworkConfig | undefined, dryRun = false): string[] {
  const existing = existsSync(paths.environment) ? readFileSync(paths.environment, "utf8") : "";
  const files: [string, string | undefined][] = [
    [paths.resolvConf, renderResolvConf(net?.dns, dhcpDns())],
    // No file and nothing to put in it: leave it absent.
    [paths.environment, existing === "" && !net?.http_proxy && !net?.https_proxy && !net?.no_proxy ? undefined : renderEnvironment(existing, net)],
  ];
  const changed: string[] = [];
  for (const [file, content] of files) {
    if (content === undefined) continue;
    const old = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (old === content) continue;
    if (!dryRun) writeHostFile(file, content);
    changed.push(file);
  }
  return changed;
}

async function loadModules(modules: string[], dryRun: boolean, out: ApplyResult): Promise<void> {
  for (const m of modules) {
    // Built in or loaded already: modprobe would need /lib/modules for nothing.
    if (existsSync(join(paths.sys, "module", m.replaceAll("-", "_")))) continue;
    if (dryRun) {
      out.changes.push(`modules: load ${m}`);
      continue;
    }
    try {
      await run("modprobe", [m]);
      out.changes.push(`modules: load ${m}`);
    } catch (e) {
      // The kernel may have it built in without a /sys/module entry: the link commands tell.
      out.notes.push(`modprobe ${m}: ${(e as Error).message.split("\n")[0]} (if the links that need it fail, install the module under /lib/modules)`);
    }
  }
}

async function runStep(s: Step, clients: DhcpClients): Promise<void> {
  if ("ip" in s) for (const cmd of s.ip) await run("ip", cmd);
  else if ("hook" in s) await shell(s.hook);
  else if (s.dhcp === "start") clients.start(s.iface, s.args!);
  else await clients.stop(s.iface);
}

export async function apply(net: NetworkConfig | undefined, clients: DhcpClients | undefined): Promise<ApplyResult> {
  const dryRun = clients === undefined;
  const out: ApplyResult = { changes: [], errors: [], notes: [] };
  if (!dryRun) await commands("pre_cmds", net, out);
  const state = await readState();
  const p = plan(net, state.links);
  out.errors.push(...p.problems);
  await loadModules(p.modules, dryRun, out);
  const steps = diff(p, state, runningClients());
  const failed = new Set<string>();
  for (const s of steps) {
    const line = `${s.iface}: ${s.say}`;
    if (dryRun) {
      out.changes.push(line);
      continue;
    }
    // Hooks still run for an interface whose link step failed: they may be what repairs it.
    if (failed.has(s.iface) && !("hook" in s)) continue;
    try {
      await runStep(s, clients);
      out.changes.push(line);
    } catch (e) {
      const msg = (e as Error).message;
      out.errors.push(`${line}: ${msg} (${"hook" in s ? "fix the command in its pre_up/post_up" : hint(msg, s)})`);
      if (!("hook" in s)) failed.add(s.iface);
    }
  }
  try {
    out.changes.push(...writeHostFiles(net, dryRun).map((f) => `files: write ${f}`));
  } catch (e) {
    out.errors.push(`files: ${(e as Error).message} (check that ${paths.resolvConf} and ${paths.environment} are writable)`);
  }
  if (dryRun) return out;
  out.notes.push(...(await waitReady(p, net?.wait_timeout ?? DEFAULT_WAIT_S)));
  await commands("post_cmds", net, out);
  return out;
}
