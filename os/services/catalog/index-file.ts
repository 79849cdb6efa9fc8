// A repository's index.yml: the names it offers under services:, consoles:, engines: and stacks:
// (each may be missing). A name that could not be a file name is skipped with a warning, not the whole index.
import { diag, errorsIn, formatDiagnostic, type Diagnostic } from "../../../cloud-config/diagnostics.ts";
import { parseConfig } from "../../../cloud-config/parse.ts";
import { isMapValue } from "../../../cloud-config/tree.ts";
import { CatalogError } from "./errors.ts";
import { KINDS, type Kind } from "./kinds.ts";
import { isSafeName } from "./names.ts";

/** A stack is not a system service: its entry is a Compose file (os/stack/catalog.ts), kept apart from the kinds. */
export type RepoIndex = Record<Kind | "stacks", string[]>;

export function parseIndex(text: string, file: string): { index: RepoIndex; warnings: string[] } {
  const parsed = parseConfig(text, file);
  const found: Diagnostic[] = [...parsed.diagnostics];
  const at = (path: (string | number)[], severity: "error" | "warning", message: string, hint: string) => {
    const { line, col } = parsed.locate(path);
    found.push(diag(severity, file, line, col, message, hint));
  };
  const index: RepoIndex = { services: [], consoles: [], engines: [], stacks: [] };
  const value = parsed.value ?? {};
  if (!errorsIn(found).length && !isMapValue(value)) at([], "error", "an index must be a map", "with `services:`, `consoles:`, `engines:` and `stacks:` lists of names");
  if (!errorsIn(found).length && isMapValue(value)) {
    for (const kind of [...KINDS, "stacks" as const]) {
      const names = value[kind] ?? [];
      if (!Array.isArray(names)) {
        at([kind], "error", `\`${kind}\` must be a list of names`, 'write one "- name" per line');
        continue;
      }
      names.forEach((name, i) => {
        if (typeof name === "string" && isSafeName(name)) {
          if (!index[kind].includes(name)) index[kind].push(name);
        } else at([kind, i], "warning", `${JSON.stringify(name)} cannot name a catalog entry and is skipped`, 'use letters, digits, ".", "_" and "-"');
      });
    }
  }
  if (errorsIn(found).length) throw new CatalogError(`the index ${file} is not valid`, errorsIn(found).map(formatDiagnostic));
  return { index, warnings: found.map(formatDiagnostic) };
}
