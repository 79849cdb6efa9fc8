// Reads a stack's compose file: YAML with positions, `${VAR}` filled in from the variables given
// (Compose's forms: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, $$ for a dollar), then
// checked against the Compose schema. Any error refuses the whole file, so a stack is never half
// deployed; each error names the file, line and column.
import { readFileSync } from "node:fs";
import { diag, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { parseConfig, type Path } from "../../cloud-config/parse.ts";
import { isMapValue } from "../../cloud-config/tree.ts";
import { composeFile, type ComposeFile } from "./compose-schema.ts";
import { refProblems } from "./specs.ts";

export class StackFileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
  }
}

const VAR = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Fills one string; a problem is returned as its message. */
function fill(s: string, vars: Record<string, string>): string | { error: string } {
  let error: string | undefined;
  const out = s.replace(VAR, (all, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (all === "$$") return "$";
    const name = (braced ?? bare)!;
    const value = vars[name];
    const unset = value === undefined || (op?.startsWith(":") === true && value === "");
    if (op?.endsWith("-")) return unset ? arg! : value!;
    if (op?.endsWith("?")) {
      if (unset) error ??= `variable ${name} is required${arg ? `: ${arg}` : ""}`;
      return value ?? "";
    }
    if (value === undefined) error ??= `variable ${name} is not set`;
    return value ?? "";
  });
  return error === undefined ? out : { error };
}

function interpolate(v: unknown, vars: Record<string, string>, at: Path, problems: { path: Path; message: string }[]): unknown {
  if (typeof v === "string") {
    const r = fill(v, vars);
    if (typeof r === "string") return r;
    problems.push({ path: at, message: r.error });
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolate(x, vars, [...at, i], problems));
  if (isMapValue(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, vars, [...at, k], problems)]));
  return v;
}

/** The stack in `text` (read from `file`), or a StackFileError with every problem found. */
export function parseStack(text: string | Buffer, file: string, vars: Record<string, string> = {}): ComposeFile {
  const parsed = parseConfig(text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  // The parser's hints speak of a config's last good copy: a stack file has none, it is refused.
  if (errors.length) throw new StackFileError(errors.map((d) => ({ ...d, hint: d.hint?.replace(/;? *until (then|fixed),? .*$/, "") || undefined })));
  const problems: { path: Path; message: string }[] = [];
  const value = interpolate(parsed.value, vars, [], problems);
  const hint = "set it with --var NAME=VALUE, or give it a default: ${NAME:-default}";
  const diagnostics = problems.map((p) => {
    const { line, col } = parsed.locate(p.path);
    return diag("error", file, line, col, p.message, hint);
  });
  if (diagnostics.length) throw new StackFileError(diagnostics);
  if (!isMapValue(value) || value.services === undefined) {
    const { line, col } = parsed.locate([]);
    throw new StackFileError([diag("error", file, line, col, "a stack file needs a services: map", "a Compose file (version 3): services: NAME: image: …")]);
  }
  const checked = composeFile.safeParse(value);
  if (checked.success) {
    const refs = refProblems(checked.data);
    if (refs.length === 0) return checked.data;
    throw new StackFileError(refs.map((r) => {
      const { line, col } = parsed.locate(r.path);
      return diag("error", file, line, col, r.message, r.hint);
    }));
  }
  throw new StackFileError(checked.error.issues.slice(0, 20).map((issue) => {
    // An unknown key is reported on its parent: point at the key itself.
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = keys.length ? [...issue.path, keys[0]!] as Path : issue.path as Path;
    const { line, col } = parsed.locate(path, keys.length > 0);
    const where = path.join(".");
    const message = keys.length ? `${where}: not a key of a Compose v3 stack (a typo?)` : `${where || "the file"}: ${issue.message}`;
    return diag("error", file, line, col, message);
  }));
}

export const loadStack = (file: string, vars: Record<string, string> = {}): ComposeFile => parseStack(readFileSync(file), file, vars);
