// Hostile cloud-configs made from the example configs in ../shared/examples (read in place): each
// input is one example with one to three mutations applied, drawn from a PRNG seeded per input, so
// `FAULTS_SEED=<seed>` rebuilds exactly the inputs of a failed run.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO } from "../../build/cache.ts";
import { rng } from "../fixtures/rng.ts";

export const EXAMPLES = resolve(REPO, "../shared/examples");

export interface Example { name: string; text: string }

export function examples(): Example[] {
  return readdirSync(EXAMPLES).filter((f) => f.endsWith(".yml")).sort().map((name) => ({ name, text: readFileSync(join(EXAMPLES, name), "utf8") }));
}

/** The run's seed: FAULTS_SEED to reproduce one, else a new one each run (printed by the tests). */
export function runSeed(): number {
  const given = process.env.FAULTS_SEED;
  if (given !== undefined && !/^\d+$/.test(given)) throw new Error(`FAULTS_SEED must be a whole number, not ${given}`);
  return given === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(given);
}

export interface Hostile {
  /** `<example>#<index>`: where it came from, for the failure message. */
  name: string;
  mutations: string[];
  data: Buffer;
}

/**
 * User data that starts with #include makes the decoder fetch its lines as URLs: such an input
 * (which a mutation could make) is left out of the paths that decode user data, so no test sends
 * traffic anywhere.
 */
export const fetchesIncludes = (data: Buffer) => /^[\s\ufeff]*#include/i.test(data.subarray(0, 64).toString("utf8"));

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const lines = (b: Buffer) => b.toString("utf8").split("\n");
const unlines = (ls: string[]) => Buffer.from(ls.join("\n"));
/** Inserts `what` at a random byte offset (never inside the file's last newline). */
const insertAt = (b: Buffer, r: Rand, what: Buffer) => {
  const at = int(r, b.length + 1);
  return Buffer.concat([b.subarray(0, at), what, b.subarray(at)]);
};
/** Inserts lines before a random line. */
const insertLines = (b: Buffer, r: Rand, what: string[]) => {
  const ls = lines(b);
  ls.splice(int(r, ls.length + 1), 0, ...what);
  return unlines(ls);
};
/** The indices of lines that hold `key: value` (or `- key: value`), the places a value can be swapped. */
const valueLines = (ls: string[]) => ls.flatMap((l, i) => (/^\s*(- )?[^#\s][^:#]*:(\s|$)/.test(l) ? [i] : []));

/** Values of every other type than a key expects, and YAML's oddities: tags, anchors, special floats. */
const WRONG = [
  "42", "-1", "0x1F", "0o17", "0999", "1e400", ".nan", "-.inf", "true", "no", "~", "null", "[]", "{}", "[1, [2, [3]]]", "{a: {b: c}}",
  '"string"', "''", "2001-12-14t21:59:43.10-05:00", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!python/object:os.system ls",
  "!custom x", "!!int notanumber", "!!float x", "*undefined_alias", "&anchor", "&a [*a]", "|", ">-", '"\\x00\\uD800"', "'unterminated",
  '"unterminated', "[unclosed", "{unclosed: 1", "- item", "key: value: more", "? complex", "`backtick`", "@reserved", "%percent",
];

/** Known keys (of every part of the schema) with a value of the wrong type, as lines to add. */
const KNOWN_WRONG: string[][] = [
  ["hostname: [a, b]"], ["hostname: 123"], ["ssh_authorized_keys: {a: b}"], ["ssh_authorized_keys: [1, [2]]"], ["write_files: x"],
  ["write_files:", "  - path: 5", "    permissions: 99999", "    encoding: rot13"], ["runcmd: {a: 1}"], ["bootcmd: [[[[]]]]"], ["users: 3"],
  ["users:", "  - name: [x]", "    groups: {a: 1}"], ["mounts: [[/dev/sdb, 1, 2, 3, 4, 5, 6, 7]]"], ["rancher: 5"], ["rancher: [a]"],
  ["rancher:", "  network: [x]"], ["rancher:", "  network:", "    interfaces:", "      eth0:", "        mtu: big", "        address: 999.1.1.1/99"],
  ["rancher:", "  network:", "    dns:", "      nameservers: 10.0.0.1"], ["rancher:", "  services:", "    x: 1"],
  ["rancher:", "  services:", "    x:", "      image: [a]", "      restart: sometimes", "      labels: [a]"], ["rancher:", "  sysctl: [a]"],
  ["rancher:", "  ssh:", "    port: 99999"], ["rancher:", "  docker:", "    tls: maybe"], ["rancher:", "  agent:", "    swarm:", "      role: king"],
  ["rancher:", "  modules: {a: b}"], ["timezone: 5"], ["ntp: [a]"], ["power_state: {mode: explode}"], ["growpart: {devices: 5}"],
];

const randomBytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));
const PUNCTUATION = [": ", "- ", "? ", "[", "]", "{", "}", ",", "&x ", "*x", "! ", "!!", "|", ">", "'", '"', "%", "@", "`", "#", "\t", "\n", "\n  ", "<<: ", "---", "..."];
const ODD_TEXT = ["\r", "\r\n", "\u0085", "\u2028", "\u2029", "\u200b", "\u202e", "\ufeff", "\ud800", "\udfff", "\u00a0", "é", "日本", "🐄"];

/** Each mutation: a name (with what it drew) and what it makes of the file. */
type Mutation = (b: Buffer, r: Rand) => [string, Buffer];

const MUTATIONS: { weight: number; apply: Mutation }[] = [
  { weight: 3, apply: (b, r) => {
    const out = Buffer.from(b);
    const n = 1 + int(r, 8);
    for (let i = 0; i < n && out.length; i++) out[int(r, out.length)] ^= 1 << int(r, 8);
    return [`flip ${n} bits`, out];
  } },
  { weight: 2, apply: (b, r) => {
    const at = int(r, b.length);
    return [`truncate at ${at}`, b.subarray(0, at)];
  } },
  { weight: 3, apply: (b, r) => {
    const ls = lines(b);
    const i = int(r, ls.length);
    const by = 1 + int(r, 4);
    const how = pick(r, ["in", "out", "tab"] as const);
    ls[i] = how === "in" ? " ".repeat(by) + ls[i] : how === "out" ? ls[i]!.replace(new RegExp(`^ {1,${by}}`), "") : ls[i]!.replace(/^ +/, "\t");
    return [`indent line ${i + 1} ${how} ${by}`, unlines(ls)];
  } },
  { weight: 2, apply: (b, r) => {
    const ls = lines(b);
    const keyed = valueLines(ls);
    if (!keyed.length) return ["no key to repeat", b];
    const i = pick(r, keyed);
    const to = i + 1 + int(r, 4);
    ls.splice(Math.min(to, ls.length), 0, ls[i]!);
    return [`repeat line ${i + 1}`, unlines(ls)];
  } },
  { weight: 4, apply: (b, r) => {
    const ls = lines(b);
    const keyed = valueLines(ls);
    if (!keyed.length) return ["no value to swap", b];
    const i = pick(r, keyed);
    const wrong = pick(r, WRONG);
    ls[i] = ls[i]!.replace(/:(\s.*)?$/, `: ${wrong}`);
    return [`line ${i + 1} := ${wrong}`, unlines(ls)];
  } },
  { weight: 3, apply: (b, r) => {
    const add = pick(r, KNOWN_WRONG);
    // At the top (keys repeated there win or lose against the file's own) or at the end.
    return [`add ${add.join(" / ")}`, r() < 0.5 ? Buffer.concat([Buffer.from(add.join("\n") + "\n"), b]) : Buffer.concat([b, Buffer.from("\n" + add.join("\n") + "\n")])];
  } },
  { weight: 1, apply: (b, r) => {
    const kind = pick(r, ["string", "list", "map", "line"] as const);
    const n = 50_000 + int(r, 150_000);
    const value =
      kind === "string" ? `"${"x".repeat(n * 10)}"` : kind === "list" ? `[${Array(n).fill("1").join(", ")}]` : kind === "map" ? `{${Array.from({ length: n / 10 }, (_, i) => `k${i}: ${i}`).join(", ")}}` : "y".repeat(n * 10);
    return [`huge ${kind} value (${value.length} bytes)`, Buffer.concat([Buffer.from(`hostname: ${value}\n`), b])];
  } },
  { weight: 2, apply: (b, r) => {
    const depth = pick(r, [30, 63, 64, 65, 100, 1000, 100_000]);
    const kind = pick(r, ["flow-list", "flow-map", "block-map", "block-list", "compact"] as const);
    const value =
      kind === "flow-list" ? `x: ${"[".repeat(depth)}1${"]".repeat(depth)}` :
      kind === "flow-map" ? `x: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}` :
      kind === "block-map" ? Array.from({ length: Math.min(depth, 1500) }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + " 1" :
      kind === "block-list" ? Array.from({ length: Math.min(depth, 700) }, (_, i) => `${" ".repeat(2 * i)}- a:`).join("\n") + " 1" :
      `x:\n  ${"- ".repeat(depth)}1`;
    return [`nest ${kind} ${depth} deep`, insertLines(b, r, value.split("\n"))];
  } },
  { weight: 2, apply: (b, r) => {
    const levels = 4 + int(r, 7);
    const width = 4 + int(r, 7);
    const kind = pick(r, ["laughs", "merge", "self"] as const);
    const bomb =
      kind === "laughs" ? [`l0: &l0 [${Array(width).fill('"lol"').join(", ")}]`, ...Array.from({ length: levels }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(width).fill(`*l${i}`).join(", ")}]`)] :
      kind === "merge" ? ["m0: &m0 {a: 1, b: 2}", ...Array.from({ length: levels }, (_, i) => `m${i + 1}: &m${i + 1}\n  <<: [${Array(width).fill(`*m${i}`).join(", ")}]\n  k${i}: v`)] :
      ["s: &s [*s]"];
    return [`alias bomb ${kind} ${levels}x${width}`, insertLines(b, r, bomb.join("\n").split("\n"))];
  } },
  { weight: 2, apply: (b, r) => {
    const kind = pick(r, ["random", "nul", "bad-utf8", "gzip", "utf16", "whole"] as const);
    const what =
      kind === "random" ? randomBytes(r, 1 + int(r, 4096)) : kind === "nul" ? Buffer.from([0]) : kind === "bad-utf8" ? Buffer.from(pick(r, [[0xc3, 0x28], [0xff], [0xe2, 0x28, 0xa1], [0xf0, 0x90, 0x28, 0xbc], [0xc0, 0xaf]])) :
      kind === "gzip" ? Buffer.from([0x1f, 0x8b, 0x08, 0x00]) : Buffer.from([0xff, 0xfe, 0x68, 0x00]);
    return [`binary ${kind} (${what.length} bytes)`, kind === "whole" ? randomBytes(r, 1 + int(r, 65536)) : insertAt(b, r, what)];
  } },
  { weight: 1, apply: (b, r) => {
    const mb = pick(r, [10, 10, 20]);
    const pad = pick(r, ["comments", "list", "repeat"] as const);
    const unit = pad === "comments" ? "# padding padding padding padding padding\n" : pad === "list" ? "  - echo this is a forty-odd byte command\n" : `${b.toString("utf8")}\n`;
    const body = pad === "list" ? `runcmd:\n${unit.repeat(Math.ceil((mb << 20) / unit.length))}` : unit.repeat(Math.ceil((mb << 20) / Math.max(1, unit.length)));
    return [`${mb} MB of ${pad}`, Buffer.concat([b, Buffer.from(`\n${body}`)])];
  } },
  { weight: 3, apply: (b, r) => {
    const n = 1 + int(r, 6);
    const what = Array.from({ length: n }, () => pick(r, PUNCTUATION)).join("");
    return [`insert ${JSON.stringify(what)}`, insertAt(b, r, Buffer.from(what))];
  } },
  { weight: 1, apply: (b, r) => {
    const what = pick(r, ["---\n", "...\n", "--- |\n", "%YAML 1.2\n---\n", "%TAG ! tag:x,2000:\n---\n", "--- !!str\n", "---\n- a\n---\n"]);
    return [`document marker ${JSON.stringify(what)}`, insertLines(b, r, what.replace(/\n$/, "").split("\n"))];
  } },
  { weight: 2, apply: (b, r) => {
    const what = pick(r, ODD_TEXT);
    return [`insert ${JSON.stringify(what)}`, insertAt(b, r, Buffer.from(what))];
  } },
];

const TOTAL = MUTATIONS.reduce((n, m) => n + m.weight, 0);

function drawMutation(r: Rand): Mutation {
  let x = r() * TOTAL;
  for (const m of MUTATIONS) if ((x -= m.weight) < 0) return m.apply;
  return MUTATIONS[MUTATIONS.length - 1]!.apply;
}

/** Input `index` of the run with `seed`: the same pair always gives the same bytes. */
export function hostile(seed: number, index: number, from: Example[]): Hostile {
  const r = rng((Math.imul(seed, 0x9e3779b1) ^ index) >>> 0);
  const base = pick(r, from);
  let data: Buffer = Buffer.from(base.text);
  const mutations: string[] = [];
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const [what, out] = drawMutation(r)(data, r);
    mutations.push(what);
    data = out;
  }
  return { name: `${base.name}#${index}`, mutations, data };
}
