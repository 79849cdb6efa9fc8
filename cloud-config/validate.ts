// Checks config data against the schema and explains every problem at its place in the user's text.
// Keys Corral ignores are warnings. An invalid key is dropped from what applies (its value from the
// file's last good copy stands in when there is one), so one mistake never costs the rest of the file.
import type { z } from "zod";
import { diag, errorsIn, type Diagnostic } from "./diagnostics.ts";
import { parseConfig, type ParsedConfig, type Path, type Position } from "./parse.ts";
import { IGNORED, cloudConfigSchema, type CloudConfig } from "./schema/index.ts";
import { isSecret } from "./secrets.ts";
import { substitute } from "./substitute.ts";
import { allowedKeys, ignoredPattern, nearest } from "./suggest.ts";
import { deletePath, dropNullEntries, getPath, isMapValue, setPath, type Tree } from "./tree.ts";

export interface Validated {
  file: string;
  /** What applies: the valid part of the file (undefined when the file could not be read at all). */
  config: CloudConfig | undefined;
  diagnostics: Diagnostic[];
}

type Locate = (path: Path, key?: boolean) => Position;

function showPath(path: Path): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("") || "the top level";
}

const KINDS: Record<string, string> = { string: "a string", number: "a number", boolean: "true or false", bigint: "a number" };

/** The value as an error quotes it; a secret only by its kind, since errors reach the boot log. */
function show(v: unknown, secret = false): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (secret) return `${KINDS[typeof v] ?? "a value"} (not shown: it is a secret)`;
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 37)}…"` : s;
}

/**
 * Removes the ignored keys, with a warning each. A list item made only of ignored keys (like
 * `- snapuser: …` in users) is reported in `emptied`, to be dropped after validation.
 */
function warnIgnored(value: Tree, file: string, locate: Locate): { warnings: Diagnostic[]; emptied: Path[] } {
  const out: Diagnostic[] = [];
  const emptied: Path[] = [];
  const visit = (v: unknown, path: Path) => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...path, i]));
    if (!isMapValue(v)) return;
    const table = IGNORED.find((t) => t.at === ignoredPattern(path));
    for (const k of Object.keys(v)) {
      const why = table?.keys[k];
      if (why !== undefined) {
        const { line, col } = locate([...path, k], true);
        out.push(diag("warning", file, line, col, `\`${showPath([...path, k])}\` is ignored on Corral`, why));
        delete v[k];
        if (Object.keys(v).length === 0 && typeof path[path.length - 1] === "number") emptied.push(path);
      } else if (IGNORED.some((t) => t.at.startsWith(ignoredPattern([...path, k])))) visit(v[k], [...path, k]);
    }
  };
  visit(value, []);
  return { warnings: out, emptied };
}

/** YAML's !!binary reads as bytes; cloud-init writes such content as is, so carry it as base64. */
function binaryAsBase64(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(binaryAsBase64);
  if (!isMapValue(v)) return v;
  const out: Tree = {};
  for (const [k, x] of Object.entries(v)) out[k] = binaryAsBase64(x);
  if (v.content instanceof Uint8Array && typeof v.path === "string") {
    out.encoding = v.encoding === "gzip" || v.encoding === "gz" ? "gz+b64" : "b64";
  }
  return out;
}

const under = (path: Path, prefix: Path) => prefix.length <= path.length && prefix.every((s, i) => s === path[i]);

/** Problems described one by one; beyond this, one line counts the rest (each is still dropped). */
const MAX_LISTED = 100;

interface Problem { path: Path; prune: Path; key: boolean; message: string; hint?: string }

const TYPE_WORDS: Record<string, string> = { object: "a map", record: "a map", array: "a list", string: "a string", number: "a number", boolean: "true or false" };

/** The schema's own `what|hint` message; zod's default wording ("Invalid input: expected …") where a schema part has none is put in the same words. */
function ownMessage(iss: z.core.$ZodIssue): string {
  if (!/^(Invalid|Too (small|big))\b/.test(iss.message)) return iss.message;
  if (iss.code === "invalid_type") return `must be ${TYPE_WORDS[iss.expected] ?? `a ${iss.expected}`}`;
  if (iss.code === "too_small") return iss.origin === "array" ? `must have at least ${iss.minimum} items` : `must be at least ${iss.minimum}`;
  if (iss.code === "too_big") return iss.origin === "array" ? `must have at most ${iss.maximum} items` : `must be at most ${iss.maximum}`;
  return "must be a different kind of value|check it against the documentation of this key";
}

/** One problem per zod issue, descending into the union branch the value was meant for. */
function problems(issues: readonly z.core.$ZodIssue[], value: unknown, base: Path = []): Problem[] {
  const out: Problem[] = [];
  for (const iss of issues) {
    const path = [...base, ...(iss.path as Path)];
    if (iss.code === "unrecognized_keys") {
      const allowed = allowedKeys(path);
      for (const key of iss.keys) {
        const kpath = [...path, key];
        // Suggestions cost a comparison with every allowed key: not for a flood of unknown keys.
        const guess = iss.keys.length <= MAX_LISTED ? nearest(key, allowed) : undefined;
        out.push({
          path: kpath,
          prune: kpath,
          key: true,
          message: path.length ? `unknown key \`${key}\` in \`${showPath(path)}\`` : `unknown key \`${key}\``,
          hint: guess ? `did you mean \`${guess}\`?` : allowed.length <= 12 ? `allowed here: ${allowed.join(", ")}` : "check the spelling and the indentation",
        });
      }
      continue;
    }
    if (iss.code === "invalid_key") {
      // A record key that is not allowed (an interface key like mac=zz): the key's own rule explains it.
      const [what, hint] = (iss.issues[0]?.message ?? iss.message).split("|");
      const parent = path.slice(0, -1);
      out.push({ path, prune: path, key: true, message: `key \`${String(path[path.length - 1])}\` in \`${showPath(parent)}\` ${what}`, ...(hint ? { hint } : {}) });
      continue;
    }
    if (iss.code === "invalid_union") {
      // The branch whose own type matched the value knows best what is wrong inside it.
      const matched = iss.errors.filter((branch) => !branch.some((e) => e.path.length === 0 && (e.code === "invalid_type" || e.code === "invalid_value" || e.code === "invalid_format")));
      if (matched.length === 1) {
        out.push(...problems(matched[0]!, value, path));
        continue;
      }
    }
    const [what, hint] = ownMessage(iss).split("|");
    const actual = getPath(value, path);
    if (actual === undefined && path.length > 0) {
      const parent = path.slice(0, -1);
      out.push({ path: parent, prune: parent, key: false, message: `${showPath(parent)} needs \`${String(path[path.length - 1])}:\``, hint: `add it; ${what}` });
      continue;
    }
    const described = what!.startsWith("must") ? `\`${showPath(path)}\` ${what}, not ${show(actual, isSecret(path, actual))}` : `\`${showPath(path)}\`: ${what}`;
    out.push({ path, prune: path, key: false, message: described, ...(hint ? { hint } : {}) });
  }
  return out;
}

/**
 * Deletes `path`, then each map above it that only held it: what the user wrote there was all
 * mistakes, so it goes as if unwritten. `interfaces.eth0: {mtu: -5}` must not leave an `eth0` entry
 * with no settings, which would take eth0 from the `eth*` entry that gives it DHCP.
 */
function dropWithEmptiedMaps(value: Tree, path: Path): void {
  deletePath(value, path);
  for (let up = path.slice(0, -1); up.length > 0; up = up.slice(0, -1)) {
    const parent = getPath(value, up);
    if (!isMapValue(parent) || Object.keys(parent).length > 0) return;
    deletePath(value, up);
  }
}

/** Deeper paths and later list indexes first, so removing one item does not shift the ones still to remove. */
function laterFirst(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return y - x;
    return String(y) < String(x) ? -1 : 1;
  }
  return b.length - a.length;
}

/**
 * `$private_ipv4`-style values are filled in after the merge, from the metadata of the boot; they
 * are checked as if filled with documentation addresses, so `address: $private_ipv4/24` is valid.
 */
const EXAMPLE_METADATA = { privateIpv4: "192.0.2.10", publicIpv4: "198.51.100.10", privateIpv6: "2001:db8::10", publicIpv6: "2001:db8:1::10", hostname: "example", instanceId: "i-example" };
const checkSchema = (value: Tree) => cloudConfigSchema.safeParse(substitute(value, EXAMPLE_METADATA));

/** Validates plain data; `lastGood` supplies values for the keys that turn out invalid. */
export function validateValue(raw: unknown, file: string, locate: Locate, lastGood?: CloudConfig): Validated {
  if (raw === undefined || raw === null) return { file, config: {}, diagnostics: [] };
  if (!isMapValue(raw)) {
    const { line, col } = locate([]);
    return { file, config: undefined, diagnostics: [diag("error", file, line, col, `a cloud-config must be a map of keys, not ${show(raw)}`, 'start with "hostname: …" or "rancher:"')] };
  }
  const value = binaryAsBase64(dropNullEntries(raw)) as Tree;
  const { warnings: diagnostics, emptied } = warnIgnored(value, file, locate);
  const first = checkSchema(value);
  if (first.success && emptied.length === 0) return { file, config: value as CloudConfig, diagnostics };
  // One error per value: zod can report a value twice (a string where a list with a length limit is expected).
  const seen = new Set<string>();
  const found = first.success ? [] : problems(first.error.issues, value).filter((p) => !emptied.some((e) => under(p.path, e)) && !seen.has(JSON.stringify(p.path)) && seen.add(JSON.stringify(p.path)));
  for (const p of found.slice(0, MAX_LISTED)) {
    const { line, col } = locate(p.path, p.key);
    const stand = lastGood !== undefined && getPath(lastGood, p.prune) !== undefined ? "its last good value is used" : "it is ignored";
    diagnostics.push(diag("error", file, line, col, p.message, p.hint ? p.hint.endsWith("?") ? `${p.hint} Until fixed, ${stand}` : `${p.hint}; until fixed, ${stand}` : `until fixed, ${stand}`));
  }
  if (found.length > MAX_LISTED) {
    const { line, col } = locate(found[MAX_LISTED]!.path, found[MAX_LISTED]!.key);
    diagnostics.push(diag("error", file, line, col, `${found.length - MAX_LISTED} more problems are not listed`, "fix the ones above first; until fixed, each is ignored"));
  }
  // Later indexes first, so removing a list item does not shift the ones still to remove.
  const prunes = [...emptied, ...found.map((p) => p.prune)].sort(laterFirst);
  for (const path of prunes) {
    const good = lastGood === undefined ? undefined : getPath(lastGood, path);
    if (good !== undefined && path.length > 0) setPath(value, path, structuredClone(good));
    else dropWithEmptiedMaps(value, path);
  }
  let second = checkSchema(value);
  // Dropping a required field (a file's path:, a service's image:) leaves its parent incomplete:
  // drop the parent too, a level at a time, so the rest of the file still applies.
  for (let round = 0; !second.success && round < 64; round++) {
    const more = problems(second.error.issues, value).map((p) => p.prune).filter((p) => p.length > 0);
    if (more.length === 0) break;
    for (const path of more.sort(laterFirst)) deletePath(value, path);
    second = checkSchema(value);
  }
  // Repair can only fail on shapes it could not split (e.g. a bad top-level key): then nothing applies.
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  return { file, config: second.success ? (value as CloudConfig) : lastGood, diagnostics };
}

export function validateText(text: string | Buffer, file: string, lastGood?: CloudConfig): Validated & { parsed: ParsedConfig } {
  const parsed = parseConfig(text, file);
  if (errorsIn(parsed.diagnostics).length) return { file, config: undefined, diagnostics: parsed.diagnostics, parsed };
  // Parse warnings (a repeated key) do not stop the file from applying; they are reported with the rest.
  const v = validateValue(parsed.value, file, parsed.locate, lastGood);
  const diagnostics = [...parsed.diagnostics, ...v.diagnostics].sort((a, b) => a.line - b.line || a.col - b.col);
  return { ...v, diagnostics, parsed };
}
