// A definition file: a map of service names to definitions, read with positions, interpolated,
// then checked by the same validator as rancher.services, so its errors read like a config's.
import { diag, errorsIn, formatDiagnostic, type Diagnostic } from "../../../cloud-config/diagnostics.ts";
import { parseConfig, type Path } from "../../../cloud-config/parse.ts";
import type { ServiceConfig } from "../../../cloud-config/schema/index.ts";
import { isMapValue } from "../../../cloud-config/tree.ts";
import { validateValue } from "../../../cloud-config/validate.ts";
import { CatalogError } from "./errors.ts";
import { interpolate } from "./interpolate.ts";
import { isSafeName } from "./names.ts";

/** Where the definitions sit when they go through the config validator. */
const AT: Path = ["rancher", "services"];

export interface Definition {
  services: Record<string, ServiceConfig>;
  /** Formatted warnings (keys Corral ignores, a repeated key): the definition still applies. */
  warnings: string[];
}

/**
 * The validator speaks of `rancher.services.<name>` and of values being ignored until fixed, which
 * is how a config file is treated; a catalog file is refused whole, and has no rancher: key.
 */
function asCatalogDiagnostic(d: Diagnostic): Diagnostic {
  const hint = d.hint?.replace(/(^|;\s*|\s+)[Uu]ntil fixed, (it|each) is ignored$/, "");
  return diag(d.severity, d.file, d.line, d.col, d.message.replaceAll(`${AT.join(".")}.`, ""), hint || undefined);
}

function shapeProblems(value: unknown, file: string, locate: (path: Path, key?: boolean) => { line: number; col: number }): Diagnostic[] {
  const at = (path: Path, key: boolean, message: string, hint: string) => {
    const { line, col } = locate(path, key);
    return diag("error", file, line, col, message, hint);
  };
  if (value === null || value === undefined || (isMapValue(value) && Object.keys(value).length === 0)) return [at([], false, "the file defines no services", "add `NAME:` with `image:` indented under it")];
  if (!isMapValue(value)) return [at([], false, "a definition file must be a map of service names to service definitions", "like `my-service:` with `image:` indented under it")];
  return Object.entries(value).flatMap(([k, def]) =>
    !isSafeName(k) ? [at([k], true, `\`${k}\` cannot name a service`, 'use letters, digits, ".", "_" and "-", starting with a letter or digit')]
    // The validator drops empty values, which would lose this service without a word.
    : def === null ? [at([k], true, `\`${k}\` has no definition`, "indent `image:` and the rest under it")]
    : []);
}

/**
 * The services a definition file defines. `label` names the entry in messages; `main`, when
 * given, is the service the file must define (a console's `console`, an engine's `docker`).
 */
export function parseDefinition(text: string, file: string, env: Record<string, string>, label: string, main?: { service: string; why: string }): Definition {
  const refuse = (ds: Diagnostic[]): never => {
    throw new CatalogError(`the definition of "${label}" in ${file} is not valid`, errorsIn(ds).map(formatDiagnostic));
  };
  const parsed = parseConfig(text, file);
  if (errorsIn(parsed.diagnostics).length) refuse(parsed.diagnostics);
  const shape = shapeProblems(parsed.value, file, parsed.locate);
  if (shape.length) refuse(shape);

  const expanded = interpolate(parsed.value, env);
  const found: Diagnostic[] = expanded.problems.map((p) => {
    const { line, col } = parsed.locate(p.path);
    return diag("error", file, line, col, p.message, p.hint);
  });
  // The validator's paths are under rancher.services: map them back onto the file's own.
  const locate = (path: Path, key?: boolean) => parsed.locate(path.slice(AT.length), key);
  const checked = validateValue({ rancher: { services: expanded.value } }, file, locate);
  const all = [...parsed.diagnostics, ...found, ...checked.diagnostics.map(asCatalogDiagnostic)].sort((a, b) => a.line - b.line || a.col - b.col);
  if (errorsIn(all).length) refuse(all);

  const services = (checked.config?.rancher?.services ?? {}) as Record<string, ServiceConfig>;
  if (main && !Object.hasOwn(services, main.service)) {
    const { line, col } = parsed.locate([]);
    refuse([diag("error", file, line, col, `no service named \`${main.service}\` in the file`, main.why)]);
  }
  return { services, warnings: all.map(formatDiagnostic) };
}
