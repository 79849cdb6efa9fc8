// Reads a config file as YAML 1.1 (what RancherOS's and cloud-init's parsers read: 0644 is octal,
// yes/no are booleans), keeping positions, and within fixed bounds so hostile input (alias bombs,
// huge or binary files, deep nesting) is an error in bounded time and memory, never a crash.
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from "yaml";
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
  /** The YAML document itself, for edits that keep comments (only when it was read). */
  doc?: Document;
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

/**
 * The offset where one line's compact block indicators ("- - - x", "? ? x") nest deeper than
 * `limit`: each opens a level without any indentation, so a short file can nest deeper than the
 * parser can follow in bounded time.
 */
function compactDepthExceeds(text: string, limit: number): number | undefined {
  let count = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") {
      count = 0;
      lineStart = true;
    } else if (!lineStart) continue;
    else if ((c === "-" || c === "?") && (text[i + 1] === " " || text[i + 1] === "\t")) {
      if (++count > limit) return i;
    } else if (c !== " " && c !== "\t") lineStart = false;
  }
  return undefined;
}

/** Past this many levels of indentation the parser's recursion may run out of stack (~900 did here). */
const SURELY_TOO_DEEP = 4 * MAX_DEPTH;

/**
 * Where indented block nesting first goes deeper than `limit`, if it surely goes too deep to parse:
 * otherwise whether the parser runs out of stack, and so what the error says and where, would
 * depend on the process's stack. The depth is told from indentation: a line opens one level more
 * than the nearest line above it indented less, plus one per "- " or "? " it starts with; the text
 * of block scalars (| and >) is skipped. That counts at least the real depth and, on any layout
 * people write, less than twice it, so nothing the parser reads well is refused here.
 */
function blockDepthExceeds(text: string, limit: number): number | undefined {
  const open: { indent: number; depth: number }[] = [];
  let firstOver: number | undefined;
  let scalarIndent = -1;
  // A character loop, not a split and regexes per line: a 2 MiB file may hold a million lines.
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf("\n", at) < 0 ? text.length : text.indexOf("\n", at);
    let i = at;
    while (i < end && text.charCodeAt(i) === 32) i++;
    const indent = i - at;
    const lineStart = at;
    at = end + 1;
    const c = text[i];
    if (i === end || c === "#" || c === "\t" || c === "\r" || (scalarIndent >= 0 && indent > scalarIndent)) continue;
    scalarIndent = -1;
    let depth = 1;
    for (; (text[i] === "-" || text[i] === "?") && (text[i + 1] === " " || text[i + 1] === "\t"); i += 2) depth++;
    while (open.length > 0 && open[open.length - 1]!.indent >= indent) open.pop();
    depth += open[open.length - 1]?.depth ?? 0;
    open.push({ indent, depth });
    // The nodes a line opens sit one level below the count (the top-level map is level 0).
    if (depth - 1 > limit) firstOver ??= lineStart + indent;
    if (depth > SURELY_TOO_DEEP) return firstOver;
    if (/(^|[\s:])[|>][-+0-9]*\s*(#.*)?$/.test(text.slice(i, end))) scalarIndent = indent;
  }
  return undefined;
}

/** The path to the first node nested deeper than `limit`, if any. */
function tooDeepAt(v: unknown, limit: number, path: Path = []): Path | undefined {
  if (path.length > limit) return path;
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : v !== null && typeof v === "object" ? Object.entries(v) : [];
  for (const [k, x] of entries) {
    const found = tooDeepAt(x, limit, [...path, k]);
    if (found) return found;
  }
  return undefined;
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
  // Line starts counted here, not by the parser: recovering from some errors (a stray "]" before a
  // plain scalar that runs on to the next line) it misses a newline, and every later position with it.
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (const m of text.matchAll(/\n/g)) lines.addNewLine(m.index + 1);
  const tooDeep = flowDepthExceeds(text, MAX_DEPTH) ?? compactDepthExceeds(text, MAX_DEPTH) ?? blockDepthExceeds(text, MAX_DEPTH);
  if (tooDeep !== undefined) {
    const { line, col } = lines.linePos(tooDeep);
    return fatal(file, line, col, `lists and maps are nested more than ${MAX_DEPTH} levels deep`, "flatten the structure");
  }
  const doc = parseDocument(text, { version: "1.1", prettyErrors: false, uniqueKeys: false });
  const at = (offset: number): Position => lines.linePos(offset);
  const locate = (path: Path, key = false): Position => at(offsetOf(doc, path, key));
  if (doc.errors.length) {
    return {
      file,
      value: undefined,
      // Running out of stack can surface once per unwound level: one report is enough.
      diagnostics: uniqueStackErrors(doc.errors).map((e) => {
        const { line, col } = at(e.pos[0]);
        // The parser gives up on very deep nesting by running out of stack: say what that means.
        if (/call stack/i.test(e.message)) return diag("error", file, line, col, `lists and maps are nested too deeply to read (the limit is ${MAX_DEPTH} levels)`, "flatten the structure");
        return diag("error", file, line, col, withoutSource(e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")), "fix the YAML syntax; until then the last good copy of this file is used");
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
  const deep = tooDeepAt(value, MAX_DEPTH);
  if (deep) {
    const { line, col } = locate(deep);
    return fatal(file, line, col, `maps and lists are nested more than ${MAX_DEPTH} levels deep`, "flatten the structure");
  }
  return { file, value, doc, diagnostics: duplicateKeys(doc, file, at), locate };
}

/**
 * The parser quotes the text it could not read, which may be a secret (a `token:` line gone wrong)
 * and would reach the boot log: only punctuation is quoted back; the position says where the rest is.
 */
function withoutSource(message: string): string {
  const m = /^(.*?(?:in YAML stream|extra characters|Not a YAML token)):? (.*)$/s.exec(message);
  return m && /[\p{L}\p{N}]/u.test(m[2]!) ? m[1]! : message;
}

function uniqueStackErrors<E extends { message: string }>(errors: E[]): E[] {
  const first = errors.find((e) => /call stack/i.test(e.message));
  return first ? [first] : errors;
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

const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/** A map's pairs by key, built once per map; a repeated key's later pair wins, as its value is the one that applies. */
function pairsOf(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) if (isPair(p)) index.set(String(isScalar(p.key) ? p.key.value : p.key), p);
    pairIndex.set(map, index);
  }
  return index;
}

/** The text offset of the node at `path` (or of its key), or of the deepest node that exists on the way. */
function offsetOf(doc: Document, path: Path, wantKey: boolean): number {
  let node: unknown = doc.contents;
  let best = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairsOf(node).get(String(seg));
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
