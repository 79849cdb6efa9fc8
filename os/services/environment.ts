// A service's environment, with RancherOS's lookups: an entry that is only a NAME (or a map entry
// with no value) takes its value from rancher.environment; a NAME with `*` takes every match.
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";

type Env = Record<string, string | number | boolean | null>;

const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

function lookup(name: string, env: Env): string[] {
  const value = (k: string) => `${k}=${env[k] ?? ""}`;
  if (name.includes("*")) return Object.keys(env).filter((k) => glob(name).test(k)).map(value);
  // A name rancher.environment does not define is left out, as compose leaves out an unset variable.
  return name in env ? [value(name)] : [];
}

export function serviceEnv(e: ServiceConfig["environment"], env: Env = {}): string[] | undefined {
  if (e === undefined) return undefined;
  const entries: [string, string | number | boolean | null][] = Array.isArray(e) ? e.map((x) => (x.includes("=") ? (x.split(/=(.*)/s, 2) as [string, string]) : [x, null])) : Object.entries(e);
  return entries.flatMap(([k, v]) => (v === null ? lookup(k, env) : [`${k}=${v}`]));
}
