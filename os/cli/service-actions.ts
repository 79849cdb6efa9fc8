// What `ros service …` does, loaded only when such a command runs. Services are those of the merged
// config plus the catalog's enabled ones; enable/disable/delete write cloud-config.yml.
import Docker from "dockerode";
import { loadConfig } from "../../cloud-config/load.ts";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { nearest } from "../../cloud-config/suggest.ts";
import { catalogIndex, CatalogError, resolveEntry, type CatalogOptions } from "../services/catalog/index.ts";
import { configuredServices } from "../services/configured.ts";
import { dockerMessage, isNotFound } from "../services/docker-errors.ts";
import { logFrames } from "../services/log-frames.ts";
import { containerNamed, inspectNamed } from "../services/named.ts";
import { engineFor, engines } from "../services/engines.ts";
import { upReloading } from "../services/reload.ts";
import { inContainer, upElsewhere, type Delegated } from "./delegate.ts";
import { editConfig, fail, say, warn } from "./output.ts";
import { toServices, type Service } from "../services/service.ts";
import { serviceStatus, type Status } from "../services/status.ts";

/** A short wait for the user Docker: a command reports it down rather than hang. */
const QUICK_WAIT_MS = 3000;

const config = (): CloudConfig => loadConfig().config;

/** Catalog errors carry the definition's own FILE:LINE:COL lines. */
async function catalog<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CatalogError) return fail([`ros service: ${e.message}`, ...e.diagnostics]);
    throw e;
  }
}

async function allServices(c: CloudConfig, o: CatalogOptions = {}): Promise<Service[]> {
  const { services, errors } = await configuredServices(c, { warn, preferCache: true, ...o });
  for (const e of errors) warn(e);
  return services;
}

function pick(services: Service[], names: string[]): Service[] {
  return names.map((n) => {
    const s = services.find((x) => x.name === n);
    if (s) return s;
    const near = nearest(n, services.map((x) => x.name));
    return fail([`ros service: no service named ${n} in the config${near ? `; did you mean ${near}?` : ""} (\`ros service list -a\` lists them; \`ros service enable\` adds catalog ones)`]);
  });
}

const edit = (changes: [string[], unknown][]) => editConfig("ros service", changes);

const includeKey = (name: string) => ["rancher", "services_include", name];
const included = (c: CloudConfig) => c.rancher?.services_include ?? {};

export async function list(o: { all?: boolean; update?: boolean }): Promise<void> {
  const c = config();
  const idx = await catalog(() => catalogIndex(c, { warn, preferCache: !o.update }));
  const on = included(c);
  const rows: [string, string][] = idx.services.map((e) => [String(on[e.name]) === "true" ? "enabled" : "disabled", e.repo === "core" ? e.name : `${e.name} (${e.repo})`]);
  // Enabled by URL or path: not in any index, still the user's.
  for (const [k, v] of Object.entries(on)) if (!idx.services.some((e) => e.name === k)) rows.push([String(v) === "true" ? "enabled" : "disabled", k]);
  if (o.all) for (const name of Object.keys(c.rancher?.services ?? {})) rows.push(["config", name]);
  for (const [state, name] of rows) say(`${state.padEnd(9)}${name}`);
}

export async function enable(name: string): Promise<void> {
  const c = config();
  const entry = await catalog(() => resolveEntry(c, name, "services", { warn }));
  edit([[includeKey(name), true]]);
  say(`enabled ${entry.name} (from ${entry.source}); \`ros service up ${Object.keys(entry.services).join(" ")}\` starts it now, or the next boot does`);
}

export function disable(name: string): void {
  if (String(included(config())[name]) !== "true") fail([`ros service: ${name} is not enabled (\`ros service list\` shows what is)`]);
  edit([[includeKey(name), false]]);
  say(`disabled ${name}; its containers stay until \`ros service rm ${name}\``);
}

export async function remove(name: string): Promise<void> {
  const c = config();
  if (!(name in included(c))) fail([`ros service: ${name} was never enabled (\`ros service list\` shows what is)`]);
  const entry = await catalog(() => resolveEntry(c, name, "services", { warn })).catch(() => undefined);
  edit([[includeKey(name), undefined]]);
  const e = engines(undefined, undefined, QUICK_WAIT_MS);
  // An entry that no longer resolves still leaves a container named after it.
  for (const s of toServices(entry?.services ?? { [name]: { image: "" } })) {
    const docker = await engineFor(e, s.scope).catch(() => undefined);
    const c = docker && (await containerNamed(docker, s.name).catch(() => undefined));
    await c?.remove({ force: true }).catch(() => undefined);
  }
  say(`deleted ${name}`);
}

export async function up(names: string[], o: { definitions?: string } = {}): Promise<void> {
  const given = o.definitions ? (JSON.parse(o.definitions) as Delegated) : undefined;
  const c = given ? {} : config();
  const services = given ? toServices(given.services) : await allServices(c);
  if (names.length) pick(services, names);
  const environment = given?.environment ?? c.rancher?.environment ?? {};
  if (!given && inContainer()) {
    const r = await upElsewhere({ services: Object.fromEntries(services.map((s) => [s.name, s.def])), environment }, names);
    process.stdout.write(r.output);
    process.exit(r.code);
  }
  // Delegated work is what it was given: there is no config to read again.
  const reload = async () => {
    if (given) return { services, environment };
    const fresh = config();
    return { services: await allServices(fresh), environment: fresh.rancher?.environment ?? {} };
  };
  const outcomes = await upReloading({ services, environment }, reload, engines(), { only: names.length ? names : undefined });
  let bad = false;
  for (const o of outcomes.sort((a, b) => a.name.localeCompare(b.name))) {
    bad ||= o.result === "failed" || o.result === "skipped";
    say(`${o.name}: ${o.result}${o.recreated ? " (recreated)" : ""}${o.detail ? `: ${o.detail}` : ""}`);
  }
  if (bad) process.exit(1);
}

export async function containerOp(op: "start" | "stop" | "restart" | "rm", names: string[], o: { timeout?: number; force?: boolean }): Promise<void> {
  const chosen = pick(await allServices(config()), names);
  const e = engines(undefined, undefined, QUICK_WAIT_MS);
  let bad = false;
  const complain = (s: Service, why: string) => {
    bad = true;
    process.stderr.write(`ros service ${op}: ${s.name} ${why}\n`);
  };
  const noContainer = (s: Service) => complain(s, `has no container (\`ros service up ${s.name}\` creates it)`);
  for (const s of chosen) {
    try {
      const c = await containerNamed(await engineFor(e, s.scope), s.name);
      if (!c) {
        noContainer(s);
        continue;
      }
      if (op === "stop") await c.stop({ t: o.timeout });
      else if (op === "rm") await c.remove({ force: o.force ?? false });
      else await c[op]();
      say(`${s.name}: ${op === "rm" ? "removed" : `${op}ed`.replace("stoped", "stopped")}`);
    } catch (err) {
      if (isNotFound(err)) noContainer(s);
      else complain(s, (err as { statusCode?: number }).statusCode === 304 ? `is already ${op === "stop" ? "stopped" : "running"}` : dockerMessage(err));
    }
  }
  if (bad) process.exit(1);
}

function age(since: string | undefined): string {
  if (!since) return "-";
  let s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  const parts: string[] = [];
  for (const [unit, n] of [["d", 86400], ["h", 3600], ["m", 60]] as const) if (s >= n) parts.push(`${Math.floor(s / n)}${unit}`), (s %= n);
  return parts.length >= 2 ? parts.slice(0, 2).join("") : `${parts.join("")}${s}s`;
}

export function table(rows: Status[]): string {
  const head = ["NAME", "SCOPE", "KIND", "STATE", "HEALTH", "RESTARTS", "UP", "IMAGE"];
  const cells = rows.map((r) => [r.name, r.scope, r.kind, r.state, r.health, String(r.restarts), age(r.state === "running" || r.state === "crash-loop" ? r.since : undefined), r.image + (r.detail ? `  (${r.detail})` : "")]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]! + 2))).join("").trimEnd()).join("\n");
}

export async function ps(o: { output: string }): Promise<void> {
  const rows = await serviceStatus(await allServices(config()), engines(undefined, undefined, QUICK_WAIT_MS));
  rows.sort((a, b) => (a.scope === b.scope ? a.name.localeCompare(b.name) : a.scope === "system" ? -1 : 1));
  say(o.output === "json" ? JSON.stringify(rows, null, 2) : table(rows));
}

export async function logs(name: string, o: { follow?: boolean; lines?: number }): Promise<void> {
  const [s] = pick(await allServices(config()), [name]);
  const docker: Docker = await engineFor(engines(undefined, undefined, QUICK_WAIT_MS), s!.scope).catch((e: Error) => fail([`ros service logs: ${e.message}`]));
  const info = (await inspectNamed(docker, s!.name).catch((e: unknown) => fail([`ros service logs: ${s!.name} ${dockerMessage(e)}`]))) ?? fail([`ros service logs: ${s!.name} has no container`]);
  const c = docker.getContainer(info.Id);
  const opts = { stdout: true, stderr: true, tail: o.lines, timestamps: false } as const;
  if (!o.follow) {
    const buf = (await c.logs({ ...opts, follow: false })) as unknown as Buffer;
    for (const [stream, data] of info.Config.Tty ? [[1, buf] as const] : logFrames(buf)) (stream === 2 ? process.stderr : process.stdout).write(data);
    return;
  }
  const stream = (await c.logs({ ...opts, follow: true })) as NodeJS.ReadableStream;
  if (info.Config.Tty) stream.pipe(process.stdout);
  else docker.modem.demuxStream(stream, process.stdout, process.stderr);
  await new Promise((r) => stream.on("end", r));
}
