// The merged config every service and command reads, from its layers in order (later wins):
// image defaults, OEM, cloud-config.d/*.yml, cloud-config.yml, the kernel command line. A layer
// that is bad is reported and stands in with its last good copy; the merge always yields a config.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../os/paths.ts";
import { configFromCmdline } from "./cmdline.ts";
import { diag, errorsIn, type Diagnostic } from "./diagnostics.ts";
import { readLastGood, saveLastGood } from "./last-good.ts";
import { deepMerge } from "./merge.ts";
import type { CloudConfig } from "./schema/index.ts";
import { readMetadata } from "./metadata-file.ts";
import { substitute } from "./substitute.ts";
import { validateText, validateValue } from "./validate.ts";

export interface Layer {
  file: string;
  config: CloudConfig;
  diagnostics: Diagnostic[];
  /** The file could not be read at all and its last good copy is used instead. */
  usedLastGood: boolean;
}

export const CMDLINE_SOURCE = "kernel command line";

/** The user's own files, in merge order. */
function userConfigFiles(): string[] {
  const d = existsSync(paths.cloudConfigD) ? readdirSync(paths.cloudConfigD).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml")).sort() : [];
  return [...d.map((f) => join(paths.cloudConfigD, f)), paths.cloudConfig];
}

export function readLayerFile(file: string, keepLastGood = true): Layer | undefined {
  if (!existsSync(file)) return undefined;
  const lastGood = keepLastGood ? readLastGood(file) : undefined;
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "EACCES" ? "run this as root (sudo)" : "check the file";
    return { file, config: lastGood ?? {}, diagnostics: [diag("error", file, 1, 1, `cannot read ${file}: ${(e as Error).message}`, why)], usedLastGood: lastGood !== undefined };
  }
  const v = validateText(data, file, lastGood);
  if (v.config === undefined) {
    const note = lastGood ? "its last good copy is used" : "it has no last good copy, so none of it applies";
    const d = v.diagnostics[0];
    return { file, config: lastGood ?? {}, diagnostics: [...v.diagnostics, diag("error", file, d?.line ?? 1, d?.col ?? 1, `${file} was not applied`, note)], usedLastGood: lastGood !== undefined };
  }
  if (keepLastGood && errorsIn(v.diagnostics).length === 0) saveLastGood(file, v.config);
  return { file, config: v.config, diagnostics: v.diagnostics, usedLastGood: false };
}

export function cmdlineLayer(cmdline: string): Layer {
  const c = configFromCmdline(cmdline);
  const v = validateValue(c.value, CMDLINE_SOURCE, c.locate);
  const parseErrors = c.errors.map((e) => diag("error", CMDLINE_SOURCE, 1, e.col, e.message, "write rancher.key=value with a YAML value"));
  return { file: CMDLINE_SOURCE, config: v.config ?? {}, diagnostics: [...parseErrors, ...v.diagnostics], usedLastGood: false };
}

export const readCmdline = () => (existsSync(paths.procCmdline) ? readFileSync(paths.procCmdline, "utf8").trim() : "");

export interface LoadOptions {
  /** Only the user's files (cloud-config.d, cloud-config.yml): what `ros config export` shows. */
  userOnly?: boolean;
  cmdline?: string;
}

export function loadLayers(opts: LoadOptions = {}): Layer[] {
  const files = opts.userOnly ? userConfigFiles() : [paths.osConfig, paths.oemConfig, ...userConfigFiles()];
  const layers = files.map((f) => readLayerFile(f, f !== paths.osConfig)).filter((l): l is Layer => l !== undefined);
  if (!opts.userOnly) layers.push(cmdlineLayer(opts.cmdline ?? readCmdline()));
  return layers;
}

export function mergeLayers(layers: Layer[]): CloudConfig {
  return substitute(layers.reduce<CloudConfig>((acc, l) => deepMerge(acc, l.config), {}), readMetadata());
}

export function loadConfig(opts: LoadOptions = {}): { config: CloudConfig; diagnostics: Diagnostic[] } {
  const layers = loadLayers(opts);
  return { config: mergeLayers(layers), diagnostics: layers.flatMap((l) => l.diagnostics) };
}
