// Coldplug: a driver for each device present at boot. Every device the kernel knows says which
// driver would serve it in its modalias (/sys/bus/*/devices/*/modalias); the initrd's modules.alias
// maps those to the modules it ships (images/initrd's `drivers:`). The ones that match are loaded;
// a device none matches (built in, or a driver the image does not ship) is left as it is.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { modprobeAll } from "./modprobe.ts";

/**
 * One pattern: its text up to the first wildcard, then the whole as a RegExp, made only for a device
 * that starts with that text. Under emulation, compiling all ~1,500 patterns cost a second of boot.
 */
interface Alias { literal: string; glob: string; re?: RegExp; module: string }
/** modules.alias by bus (the text before the first ":"), so a device is matched against its own bus's patterns only. */
export type AliasTable = Map<string, Alias[]>;

/** An fnmatch pattern of modules.alias (`*`, `?`, `[...]`) as an anchored RegExp. */
function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[" && glob.indexOf("]", i + 2) > 0) {
      const end = glob.indexOf("]", i + 2);
      const set = glob.slice(i + 1, end);
      re += `[${set.startsWith("!") ? `^${set.slice(1)}` : set}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const busOf = (s: string) => s.slice(0, Math.max(0, s.indexOf(":")));

/** "alias PATTERN MODULE" lines of modules.alias. */
export function parseAliases(modulesAlias: string): AliasTable {
  const table: AliasTable = new Map();
  for (const line of modulesAlias.split("\n")) {
    const [kw, pattern, module] = line.trim().split(/\s+/);
    if (kw !== "alias" || !pattern || !module) continue;
    const bus = busOf(pattern);
    if (!table.has(bus)) table.set(bus, []);
    table.get(bus)!.push({ literal: pattern.slice(0, pattern.search(/[*?[]|$/)), glob: pattern, module });
  }
  return table;
}

/** The modules that serve these modaliases, each once, in the order the devices came. */
export function modulesFor(modaliases: string[], table: AliasTable): string[] {
  const out = new Set<string>();
  for (const alias of modaliases) {
    for (const a of table.get(busOf(alias)) ?? []) if (alias.startsWith(a.literal) && (a.re ??= globRegExp(a.glob)).test(alias)) out.add(a.module);
  }
  return [...out];
}

/** Every device's modalias under /sys/bus, each once. */
export function deviceModaliases(sys = paths.sys): string[] {
  const out = new Set<string>();
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const bus of list(join(sys, "bus"))) {
    for (const dev of list(join(sys, "bus", bus, "devices"))) {
      try {
        const alias = readFileSync(join(sys, "bus", bus, "devices", dev, "modalias"), "utf8").trim();
        if (alias) out.add(alias);
      } catch {
        // Most devices of some buses have no modalias: nothing would drive them.
      }
    }
  }
  return [...out];
}

/** Loads the shipped drivers for the devices present that have none loaded yet. */
export async function coldplug(): Promise<void> {
  const release = readFileSync(paths.osRelease, "utf8").trim();
  const aliasFile = join(paths.modules, release, "modules.alias");
  if (!existsSync(aliasFile)) return;
  const wanted = modulesFor(deviceModaliases(), parseAliases(readFileSync(aliasFile, "utf8")));
  // Loaded already: the always-loaded list, or a module another pulled in.
  const missing = wanted.filter((m) => !existsSync(join(paths.sys, "module", m.replace(/-/g, "_"))));
  if (missing.length) log("init", `coldplug: ${missing.join(", ")}`);
  await modprobeAll(missing, "drivers");
}
