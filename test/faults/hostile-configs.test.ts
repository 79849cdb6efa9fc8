// A generated corpus of hostile cloud-configs (see corpus.ts; the seed is printed, FAULTS_SEED
// reproduces it), applied the ways a host applies them: the validator every file goes through, in
// bulk; `ros config validate -i FILE` as a process, on a sample; and the boot's config stage, fed by
// a datasource, on a ROS_ROOT tree that booted a good config before. None may throw, crash or hang;
// every error is placed at a line and column inside the file; a bad file never costs the values of
// its last good copy.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { parseDocument } from "yaml";
import { checkInput } from "../../cloud-config/check.ts";
import { MAX_BYTES } from "../../cloud-config/datasources/limits.ts";
import { errorsIn, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { validateText, validateValue } from "../../cloud-config/validate.ts";
import { captureLog } from "../fixtures/capture-log.ts";
import { privateBundle } from "../integration/private-bundle.ts";
import { examples, fetchesIncludes, hostile, runSeed, type Hostile } from "./corpus.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-faults-configs-"));
const root = join(scratch, "root");
process.env.ROS_ROOT = root;
const { loadBootConfig } = await import("../../os/init/config.ts");
const { paths } = await import("../../os/paths.ts");
after(() => rmSync(scratch, { recursive: true, force: true }));

const SEED = runSeed();
const COUNT = Number(process.env.FAULTS_COUNT ?? 1000);
const EXAMPLES = examples();
// Printed before any test runs, so even a hang names the seed that made it.
console.log(`hostile configs: FAULTS_SEED=${SEED} (${COUNT} inputs from ${EXAMPLES.map((e) => e.name).join(", ")})`);

/**
 * In-process bound per input. It catches hangs and blow-ups, not slowness: a 2 MiB file of a million
 * list items takes ~4 s on a busy 2-core machine, most of it in the YAML parser.
 */
const BOUND_MS = 8000;
const CLI_BOUND_MS = 20_000;

const label = (h: Hostile) => `FAULTS_SEED=${SEED} ${h.name} [${h.mutations.join("; ")}]`;

/**
 * Every diagnostic is placed inside `text`: a line that exists, a column at most one past its end.
 * Lines are counted as the parser counts them (a line ends at \n).
 */
function assertPlaced(ds: Diagnostic[], text: string, file: string, what: string): void {
  const lines = text.split("\n");
  for (const d of ds) {
    const shown = `${what}: ${formatDiagnostic(d).slice(0, 300)}`;
    assert.equal(d.file, file, shown);
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines.length, `line out of the file (${lines.length} lines): ${shown}`);
    assert.ok(Number.isInteger(d.col) && d.col >= 1 && d.col <= lines[d.line - 1]!.length + 1, `column out of line ${d.line} (${lines[d.line - 1]!.length} chars): ${shown}`);
    assert.ok(d.message.length > 0 && (d.hint ?? "").length > 0, `no message or no hint: ${shown}`);
  }
}

const corpus = (from = EXAMPLES, count = COUNT, offset = 0) => Array.from({ length: count }, (_, i) => hostile(SEED, offset + i, from));

describe("the validator, in process", () => {
  test(`${COUNT} hostile configs: positioned errors or a valid config, in bounded time`, { timeout: 240_000 }, (t) => {
    const seen = { errors: 0, applies: 0, nothing: 0, slowestMs: 0, slowest: "" };
    for (const h of corpus()) {
      const file = `/hostile/${h.name}.yml`;
      const started = performance.now();
      let v: ReturnType<typeof validateText>;
      try {
        v = validateText(h.data, file);
      } catch (e) {
        assert.fail(`${label(h)}: validateText threw: ${(e as Error).stack}`);
      }
      const ms = performance.now() - started;
      assert.ok(ms < BOUND_MS, `${label(h)}: took ${ms.toFixed(0)} ms`);
      if (ms > seen.slowestMs) Object.assign(seen, { slowestMs: Math.round(ms), slowest: label(h) });
      assertPlaced(v.diagnostics, h.data.toString("utf8"), file, label(h));
      const errors = errorsIn(v.diagnostics);
      if (errors.length) seen.errors++;
      if (v.config === undefined) {
        seen.nothing++;
        assert.ok(errors.length > 0, `${label(h)}: nothing applies and nothing says why`);
      } else {
        seen.applies++;
        // What applies of a bad file is itself a valid config: nothing invalid slips through.
        const again = errorsIn(validateValue(structuredClone(v.config), file, () => ({ line: 1, col: 1 })).diagnostics);
        assert.deepEqual(again.map(formatDiagnostic), [], `${label(h)}: what applies has errors`);
      }
    }
    t.diagnostic(JSON.stringify(seen));
    // The corpus is hostile, but not only: it must produce both kinds, or the checks above checked nothing.
    assert.ok(seen.errors > COUNT / 2, `only ${seen.errors} of ${COUNT} inputs had errors`);
    assert.ok(seen.applies > 0 && seen.nothing > 0, JSON.stringify(seen));
  });
});

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

function runCli(ros: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [ros, ...args], { env: { ...process.env, ROS_ROOT: root }, stdio: ["ignore", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_BOUND_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** One input of each kind of mutation (the first the corpus has), then a few more at random. */
function sample(all: Hostile[], extra: number): Hostile[] {
  const kinds = new Map<string, Hostile>();
  for (const h of all) for (const m of h.mutations) {
    const kind = /^(\d+ MB|huge|nest|alias bomb|binary \w+|truncate|flip|indent|repeat|line|add|insert|document)/.exec(m)?.[1];
    if (kind && !kinds.has(kind)) kinds.set(kind, h);
  }
  const chosen = new Set(kinds.values());
  for (let i = 0; chosen.size < kinds.size + extra && i < all.length; i += 97) chosen.add(all[i]!);
  return [...chosen].filter((h) => !fetchesIncludes(h.data));
}

describe("ros config validate -i FILE", () => {
  test("a sample of the corpus: exit 0 or 1, every line a positioned diagnostic, the same as in process", { timeout: 240_000 }, async (t) => {
    const ros = await privateBundle(scratch);
    const inputs = sample(corpus(), 6);
    const dir = join(scratch, "cli");
    mkdirSync(dir, { recursive: true });
    let slowest = 0;
    for (const h of inputs) {
      const file = join(dir, `${h.name.replace(/[^\w.-]/g, "_")}.yml`);
      writeFileSync(file, h.data);
      const r = await runCli(ros, ["config", "validate", "-i", file]);
      slowest = Math.max(slowest, r.ms);
      assert.ok(r.signal === null, `${label(h)}: ros config validate was killed after ${r.ms.toFixed(0)} ms (a hang) or crashed: ${r.signal}`);
      assert.ok(r.code === 0 || r.code === 1, `${label(h)}: exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
      assert.equal(r.stdout, "", label(h));
      const said = r.stderr.split("\n").filter(Boolean);
      for (const line of said) assert.ok(line.startsWith(`${file}:`) && /^:\d+:\d+: \S/.test(line.slice(file.length)), `${label(h)}: not a positioned diagnostic: ${line.slice(0, 300)}`);
      if (h.data.length > MAX_BYTES) {
        // More than the CLI reads: refused unread, at the top.
        assert.equal(said.length, 1, `${label(h)}: ${r.stderr.slice(0, 500)}`);
        assert.ok(said[0]!.startsWith(`${file}:1:1: `), said[0]);
        assert.equal(r.code, 1);
        continue;
      }
      const ds = await checkInput(h.data, file);
      assert.deepEqual(said, ds.map(formatDiagnostic), `${label(h)}: the CLI says other than the validator`);
      assertPlaced(ds, h.data.toString("utf8"), file, label(h));
      assert.equal(r.code, errorsIn(ds).length ? 1 : 0, label(h));
    }
    t.diagnostic(`${inputs.length} inputs, slowest ${slowest.toFixed(0)} ms`);
  });
});

describe("the boot's config stage", () => {
  const GOOD = EXAMPLES.find((e) => e.name === "basic.yml")!;
  const seed = join(root, "seed/user-data");
  const snapshot = join(scratch, "good-conf");
  const BOOTS = Number(process.env.FAULTS_BOOTS ?? 50);

  /** Runs the stage, returning the merged config and every line it logged. */
  const boot = async () => {
    const { result: config, logged } = await captureLog(loadBootConfig);
    return { config, logged };
  };

  test(`a good boot, then ${BOOTS} boots with hostile user data: the good copy's hostname and keys stay unless a valid value replaces them`, { timeout: 240_000 }, async (t) => {
    const good = parseDocument(GOOD.text, { version: "1.1" }).toJS() as { hostname: string; ssh_authorized_keys: string[] };
    mkdirSync(join(root, "seed"), { recursive: true });
    mkdirSync(join(root, "usr/share/ros"), { recursive: true });
    writeFileSync(paths.osConfig, "rancher:\n  cloud_init:\n    datasources: [file:/seed/user-data]\n");
    writeFileSync(seed, GOOD.text);
    const first = await boot();
    assert.equal(first.config.hostname, good.hostname, first.logged.join("\n"));
    assert.deepEqual(first.config.ssh_authorized_keys, good.ssh_authorized_keys);
    cpSync(paths.confDir, snapshot, { recursive: true });

    const seen = { unreadable: 0, keptGood: 0, replaced: 0 };
    // Inputs of their own (offset past the bulk's), all mutations of the good file.
    for (const h of corpus([GOOD], BOOTS, COUNT).filter((x) => !fetchesIncludes(x.data))) {
      rmSync(paths.confDir, { recursive: true, force: true });
      cpSync(snapshot, paths.confDir, { recursive: true });
      writeFileSync(seed, h.data);
      const started = performance.now();
      let out: Awaited<ReturnType<typeof boot>>;
      try {
        out = await boot();
      } catch (e) {
        assert.fail(`${label(h)}: the config stage threw: ${(e as Error).stack}`);
      }
      const ms = performance.now() - started;
      assert.ok(ms < BOUND_MS, `${label(h)}: the config stage took ${ms.toFixed(0)} ms`);

      // Every line the stage logged is a positioned diagnostic or one of its few reports.
      const texts: Record<string, string> = { "file:/seed/user-data": h.data.toString("utf8"), [paths.bootConfig]: readFileSync(paths.bootConfig, "utf8") };
      for (const line of out.logged) {
        // dotAll: a key may hold U+2028 or U+2029, which `.` alone does not match.
        const m = /^\[\s*[\d.]+\] cloud-config: (.*)$/s.exec(line);
        assert.ok(m, `${label(h)}: not a cloud-config log line: ${line.slice(0, 300)}`);
        if (/^(datasource file:\/seed\/user-data: answered|user data from file:\/seed\/user-data: kept)/.test(m[1]!)) continue;
        // User data larger than a datasource reads is refused unread, as a failed datasource.
        if (h.data.length > MAX_BYTES && /^(datasource file:\/seed\/user-data: failed .* refused a file of|no datasource answered; the saved config stays in force)/.test(m[1]!)) continue;
        const at = /^(file:\/seed\/user-data|\/\S+?):(\d+):(\d+): (.+)$/s.exec(m[1]!);
        assert.ok(at && texts[at[1]!] !== undefined, `${label(h)}: an unplaced report: ${line.slice(0, 300)}`);
        const lines = texts[at[1]!]!.split("\n");
        const [l, c] = [Number(at[2]), Number(at[3])];
        assert.ok(l >= 1 && l <= lines.length && c >= 1 && c <= lines[l - 1]!.length + 1, `${label(h)}: placed outside ${at[1]}: ${line.slice(0, 300)}`);
      }

      // What the user data itself says, read by the yaml library alone (nothing when it does not read).
      const readable = validateText(h.data, "user-data").config !== undefined;
      let own: Record<string, unknown> = {};
      try {
        const doc = parseDocument(h.data.toString("utf8"), { version: "1.1", uniqueKeys: false });
        const js: unknown = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });
        if (js !== null && typeof js === "object" && !Array.isArray(js)) own = js as Record<string, unknown>;
      } catch {
        // An alias bomb: the user data says nothing usable.
      }
      if (!readable) seen.unreadable++;
      for (const key of ["hostname", "ssh_authorized_keys"] as const) {
        const now: unknown = out.config[key];
        const why = `${label(h)}: ${key} is ${JSON.stringify(now)?.slice(0, 200)}`;
        if (!readable) assert.deepEqual(now, good[key], `${why}; user data that does not read must leave the good copy in force`);
        else if (own[key] !== undefined && own[key] !== null) {
          // A value the user data gives (an empty `key:` gives none): its own when valid, else the
          // last good one, never nothing.
          assert.ok(isDeepStrictEqual(now, good[key]) || isDeepStrictEqual(now, own[key]), `${why}; neither the good copy's nor the user data's own`);
        }
      }
      if (readable && own.hostname !== undefined && own.hostname !== null) seen[isDeepStrictEqual(out.config.hostname, good.hostname) ? "keptGood" : "replaced"]++;
    }
    t.diagnostic(JSON.stringify(seen));
    assert.ok(seen.unreadable > 0 && seen.keptGood > 0, `the corpus never tested the last good copy: ${JSON.stringify(seen)}`);
  });
});
