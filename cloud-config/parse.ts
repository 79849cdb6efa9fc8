// Reads a config file as YAML 1.1 (what RancherOS's and cloud-init's parsers read: 0644 is octal,
// yes/no are booleans), keeping positions, and within fixed bounds so hostile input (alias bombs,
// huge or binary files, deep nesting) is an error in bounded time and memory, never a crash.
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node } from "yaml";
import { diag, type Diagnostic } from "./diagnostics.ts";

export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
export const MAX_DEPTH = 64;
const MAX_ALIASES = 100;

export type Path = (string | number)[];

export interface Position { line: number; col: number }

export interface ParsedConfig {
  file: string;
  /** The document as plain data (undefined when it could not be read at all). */
  value: unknown;
  diagnostics: Diagnostic[];
  /** Where `path` is in the text; `key` asks for the key rather than its value. */
  locate(path: Path, key?: boolean): Position;
}

const fatal = (file: string, line: number, col: number, message: string, hint: string): ParsedConfig => ({
  file,
  value: undefined,
  diagnostics: [diag("error", file, line, col, message, hint)],
  locate: () => ({ line, col }),
});

/**
 * The deepest [ or { nesting outside quotes and comments: the YAML parser itself must never see a
 * hostile depth. It errs towards counting too much: quote state ends at each line end.
 */
function flowDepthExceeds(text: string, limit: number): number | undefined {
  let depth = 0;
  let quote = "";
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const prev = i === 0 ? "\n" : text[i - 1]!;
    if (c === "\n") {
      comment = false;
      quote = "";
    } else if (comment) continue;
    else if (quote) {
      if (c === quote) quote = "";
    } else if (c === "#" && /\s/.test(prev)) comment = true;
    else if ((c === '"' || c === "'") && /[\s[{,:]/.test(prev)) quote = c;
    else if (c === "[" || c === "{") {
      if (++depth > limit) return i;
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return undefined;
}

function depthOf(v: unknown, limit: number, depth = 0): boolean {
  if (depth > limit) return true;
  if (Array.isArray(v)) return v.some((x) => depthOf(x, limit, depth + 1));
  if (v !== null && typeof v === "object") return Object.values(v).some((x) => depthOf(x, limit, depth + 1));
  return false;
}

export function parseConfig(input: string | Buffer, file: string): ParsedConfig {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.length;
  if (size > MAX_CONFIG_BYTES) return fatal(file, 1, 1, `the file is ${(size / 1048576).toFixed(1)} MiB, over the ${MAX_CONFIG_BYTES / 1048576} MiB limit for a config file`, "keep large content in files the config points to");
  const text = (typeof input === "string" ? input : input.toString("utf8")).replace(/^\uFEFF/, "");
  const binary = text.search(/[\u0000-\u0008\u000e-\u001f\ufffd]/);
  if (binary >= 0) {
    const line = text.slice(0, binary).split("\n").length;
    return fatal(file, line, 1, "the file holds binary data, not YAML text", "a config file must be UTF-8 text; gzip and MIME user data are read from the datasource, not here");
  }
  const lines = new LineCounter();
  const tooDeep = flowDepthExceeds(text, MAX_DEPTH);
  if (tooDeep !== undefined) {
    for (const m of text.matchAll(/\n/g)) lines.addNewLine(m.index + 1);
    const { line, col } = lines.linePos(tooDeep);
    return fatal(file, line, col, `lists and maps are nested more than ${MAX_DEPTH} levels deep`, "flatten the structure");
  }
  const doc = parseDocument(text, { version: "1.1", lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number): Position => lines.linePos(offset);
  const locate = (path: Path, key = false): Position => at(offsetOf(doc, path, key));
  if (doc.errors.length) {
    return {
      file,
      value: undefined,
      diagnostics: doc.errors.map((e) => {
        const { line, col } = at(e.pos[0]);
        return diag("error", file, line, col, e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""), "fix the YAML syntax; until then the last good copy of this file is used");
      }),
      locate,
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    return fatal(file, 1, 1, `the YAML expands too much (${(e as Error).message})`, "use fewer aliases (*name)");
  }
  if (depthOf(value, MAX_DEPTH)) return fatal(file, 1, 1, `maps and lists are nested more than ${MAX_DEPTH} levels deep`, "flatten the structure");
  return { file, value, diagnostics: duplicateKeys(doc, file, at), locate };
}

/** cloud-init's and RancherOS's parsers let a repeated key win over the earlier one: a warning here. */
function duplicateKeys(doc: Document, file: string, at: (offset: number) => Position): Diagnostic[] {
  const out: Diagnostic[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) {
          const { line, col } = at((pair.key as Node).range?.[0] ?? 0);
          out.push(diag("warning", file, line, col, `\`${key}\` is set again here; this later value replaces the earlier one`, "remove one of the two"));
        }
        seen.add(key);
      }
    },
  });
  return out;
}

/** The text offset of the node at `path` (or of its key), or of the deepest node that exists on the way. */
function offsetOf(doc: Document, path: Path, wantKey: boolean): number {
  let node: unknown = doc.contents;
  let best = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      // A repeated key's later value is the one that applies (see duplicateKeys), so point at it.
      const pair = [...node.items].reverse().find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) return best;
      const keyStart = (pair.key as Node | null)?.range?.[0];
      if (last && wantKey && keyStart !== undefined) return keyStart;
      const v = pair.value as Node | null;
      best = v?.range?.[0] ?? keyStart ?? best;
      node = v;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) return best;
      best = item.range?.[0] ?? best;
      node = item;
    } else return best;
  }
  return best;
}
