// What `ros console …` and `ros engine …` do: one of the catalog's consoles (or engines) is the
// config's choice, rancher.console (rancher.docker.engine); switching also replaces the running
// container. The console's own container cannot replace itself (the command runs in it), so a
// short-lived container on system-docker does that.
import { createInterface } from "node:readline/promises";
import { loadConfig } from "../../cloud-config/load.ts";
import type { CloudConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";
import { catalogIndex, CatalogError, resolveEntry } from "../services/catalog/index.ts";
import { configuredServices, DEFAULT_CONSOLE } from "../services/configured.ts";
import { engines } from "../services/engines.ts";
import { up } from "../services/runner.ts";
import { upElsewhere, type Delegated } from "./delegate.ts";
import { editConfig, fail, say, warn } from "./output.ts";

export type Choice = "console" | "engine";
const KIND = { console: "consoles", engine: "engines" } as const;
const SETTING = { console: ["rancher", "console"], engine: ["rancher", "docker", "engine"] };
const SERVICE = { console: "console", engine: "docker" } as const;

const current = (c: CloudConfig, what: Choice) => (what === "console" ? c.rancher?.console ?? DEFAULT_CONSOLE : c.rancher?.docker?.engine);

export async function list(what: Choice): Promise<void> {
  const c = loadConfig().config;
  const idx = await catalogIndex(c, { warn, preferCache: true });
  const now = current(c, what);
  for (const e of idx[KIND[what]]) say(`${e.name === now ? "current " : "disabled"} ${e.repo === "core" ? e.name : `${e.name} (${e.repo})`}`);
  if (what === "engine" && now === undefined) say("current  (the image's own)");
}

/** Checks NAME resolves, then makes it the config's choice. */
async function choose(what: Choice, name: string): Promise<CloudConfig> {
  const c = loadConfig().config;
  if (!(what === "console" && name === DEFAULT_CONSOLE)) {
    try {
      await resolveEntry(c, name, KIND[what], { warn });
    } catch (e) {
      if (e instanceof CatalogError) fail([`ros ${what}: ${e.message}`, ...e.diagnostics]);
      throw e;
    }
  }
  editConfig(`ros ${what}`, [[SETTING[what], name]]);
  return loadConfig().config;
}

export async function enable(what: Choice, name: string): Promise<void> {
  await choose(what, name);
  say(`the next boot uses ${what} ${name} (\`ros ${what} switch ${name}\` switches now)`);
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return true;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export async function switchTo(what: Choice, name: string, o: { force?: boolean }): Promise<void> {
  const warning = what === "console" ? "The console container is replaced: every SSH and console session ends (homes and keys stay)." : "The user Docker restarts: its running containers stop.";
  if (!o.force && !(await confirm(`${warning} Switch to ${what} ${name}?`))) fail(["ros: nothing was changed"]);
  const c = await choose(what, name);
  const { services, errors } = await configuredServices(c, { warn });
  for (const e of errors) warn(e);
  if (what === "console") return replaceConsole(name, Object.fromEntries(services.filter((s) => s.name === "console").map((s) => [s.name, s.def])), c.rancher?.environment ?? {});
  const outcomes = await up(services, engines(), { only: [SERVICE[what]], environment: c.rancher?.environment ?? {} });
  const out = outcomes.find((x) => x.name === SERVICE[what])!;
  say(`${what} ${name}: ${out.name} ${out.result}${out.detail ? `: ${out.detail}` : ""}`);
  if (out.result === "failed" || out.result === "skipped") process.exit(1);
}

/** The switch runs in its own container, which outlives the console it replaces. */
async function replaceConsole(name: string, services: Record<string, ServiceConfig>, environment: Delegated["environment"]): Promise<void> {
  say(`switching to console ${name}; log in again when it is up`);
  const r = await upElsewhere({ services, environment }, ["console"]);
  if (r.code !== 0) fail([`ros console: the switch failed: ${r.output.trim()}`]);
  process.stdout.write(r.output);
}
