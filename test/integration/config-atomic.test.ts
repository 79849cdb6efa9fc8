// `ros config set` killed with SIGKILL at any moment leaves cloud-config.yml whole: exactly the
// old content or exactly the new, never torn, partial or empty; and interrupted writes do not pile
// up temp files beside it. The file is large (~300 KB), so its write takes long enough for kills
// to land inside it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, watch, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { parseDocument } from "yaml";
import { configScratch } from "./private-bundle.ts";

const { scratch, ros: ROS, file, dir, env } = await configScratch("corral-config-atomic-");

/** What os/atomic-write.ts names its temp file: `<file>.tmp-<pid>`. */
const TEMP = new RegExp(`^${basename(file).replace(/\./g, "\\.")}\\.tmp-(\\d+)$`);
const temps = () => readdirSync(dir).filter((f) => TEMP.test(f));

// Keys the storm sets again and again; they sit at the end of the file, where the edit keeps them.
const KEYS = ["STORM_A", "STORM_B", "STORM_C"];

function bigConfig(bytes: number): string {
  const out = ["#cloud-config", "# A large config: many environment entries.", "hostname: storm", "rancher:", "  debug: false", "  environment:"];
  let size = out.join("\n").length;
  for (let i = 0; size < bytes; i++) {
    const line = `    VAR_${String(i).padStart(5, "0")}: value-${i}-abcdefghijklmnopqrstuvwxyz`;
    out.push(line);
    size += line.length + 1;
  }
  for (const k of KEYS) out.push(`    ${k}: initial`);
  return `${out.join("\n")}\n`;
}

/** The file `ros config set rancher.environment.<key> <value>` makes of `prev`: one line changed, or one added at the end. */
function predict(prev: string, key: string, value: string): string {
  const line = new RegExp(`^    ${key}: .*$`, "m");
  return line.test(prev) ? prev.replace(line, `    ${key}: ${value}`) : `${prev}    ${key}: ${value}\n`;
}

function parses(text: string): boolean {
  const doc = parseDocument(text, { version: "1.1", uniqueKeys: false });
  const env = doc.getIn(["rancher", "environment"]) as { items?: unknown[] } | undefined;
  return doc.errors.length === 0 && doc.get("hostname") === "storm" && (env?.items?.length ?? 0) > 1000;
}

type Mode = "startup" | "anytime" | "in-write";
interface Outcome { mode: Mode; delayMs: number; result: "old" | "new"; leftTemp: boolean; exit: string }

/**
 * Runs one `ros config set` and SIGKILLs it: after `delayMs` ("startup", "anytime"), or as soon as
 * its temp file appears ("in-write"), which is after it opened the file and before its rename.
 */
function killedSet(key: string, value: string, mode: Mode, delayMs: number): Promise<{ exit: string; ms: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [ROS, "config", "set", `rancher.environment.${key}`, value], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const kill = () => child.kill("SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    let watcher: ReturnType<typeof watch> | undefined;
    if (mode === "in-write") {
      const mine = `${basename(file)}.tmp-${child.pid}`;
      watcher = watch(dir, (_event, name) => {
        if (name !== mine) return;
        if (delayMs === 0) kill();
        else timer ??= setTimeout(kill, delayMs);
      });
    } else timer = setTimeout(kill, delayMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      watcher?.close();
      if (code !== null && code !== 0) reject(new Error(`ros config set exited ${code}: ${stderr}`));
      else resolve({ exit: signal ?? `exit ${code}`, ms: performance.now() - started, pid: child.pid! });
    });
  });
}

const STORM_RUNS = 60;
const STORM_BUDGET_MS = 35_000;

test("kill -9 during ros config set never tears cloud-config.yml", { timeout: 180_000 }, async (t) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, bigConfig(300_000), { mode: 0o600 });

  // Uninterrupted runs (a key changed, a key added): predict() must know exactly what a finished
  // set writes; and how long a whole run takes.
  let prev = readFileSync(file, "utf8");
  assert.ok(parses(prev));
  const durations: number[] = [];
  for (const [i, key] of ["STORM_A", "CALIBRATION_NEW"].entries()) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [ROS, "config", "set", `rancher.environment.${key}`, `calibrated-${i}`], { env, encoding: "utf8" });
    durations.push(performance.now() - t0);
    assert.equal(r.status, 0, r.stderr);
    const now = readFileSync(file, "utf8");
    assert.equal(now, predict(prev, key, `calibrated-${i}`), "a finished set wrote something else than predicted");
    prev = now;
  }
  assert.ok(parses(prev));
  assert.deepEqual(temps(), [], "a finished write leaves no temp file");
  const fullMs = Math.max(...durations);
  t.diagnostic(`${prev.length} bytes; an uninterrupted set takes ~${Math.round(fullMs)} ms`);

  const outcomes: Outcome[] = [];
  const killed = new Set<number>();
  const stormStart = performance.now();
  const insideWrite = (o: Outcome) => o.mode === "in-write" && o.exit === "SIGKILL" && o.result === "old";
  // On a loaded machine the budget may leave few runs: then a few more kills aimed at the write,
  // until one lands inside it.
  let extra = 0;
  for (let i = 0; i < STORM_RUNS; i++) {
    const overtime = performance.now() - stormStart >= STORM_BUDGET_MS;
    if (overtime && (outcomes.some(insideWrite) || extra++ >= 5)) break;
    // Spread the kills: during startup (the brief's 0–150 ms), anywhere up to a little past a
    // whole run, and (every other run) inside the write itself.
    const mode: Mode = overtime ? "in-write" : (["startup", "in-write", "anytime", "in-write"] as const)[i % 4]!;
    const delayMs = mode === "startup" ? Math.random() * 150 : mode === "anytime" ? Math.random() * fullMs * 1.1 : Math.random() < 0.5 ? 0 : Math.random() * 3;
    // Alternate between changing a key in place and adding a new one at the end.
    const key = i % 2 ? KEYS[i % KEYS.length]! : `STORM_NEW_${i}`;
    const value = `v${i}-${Math.random().toString(36).slice(2, 10)}`;
    const expected = predict(prev, key, value);

    const { exit, pid } = await killedSet(key, value, mode, delayMs);
    if (exit === "SIGKILL") killed.add(pid);
    const now = readFileSync(file, "utf8");
    const left = temps();
    const label = `run ${i} (${mode}, ${delayMs.toFixed(1)} ms, ${exit})`;
    if (now !== prev && now !== expected) {
      const at = [...now].findIndex((c, j) => c !== expected[j]);
      assert.fail(`${label}: cloud-config.yml is torn: ${now.length} bytes, old ${prev.length}, new ${expected.length}, differs from new at ${at}`);
    }
    const result = now === prev ? "old" : "new";
    if (result === "new") assert.ok(parses(now), `${label}: the new content does not parse`);
    // A killed write may leave its own temp file, but the next write clears it: never more than one.
    assert.ok(left.length <= 1, `${label}: temp files pile up: ${left.join(", ")}`);
    for (const f of left) assert.ok(killed.has(Number(TEMP.exec(f)![1])), `${label}: ${f} is not from a killed run`);
    outcomes.push({ mode, delayMs, result, leftTemp: left.length > 0, exit });
    prev = now;
  }

  const count = (f: (o: Outcome) => boolean) => outcomes.filter(f).length;
  const summary = {
    runs: outcomes.length,
    storm_s: +((performance.now() - stormStart) / 1000).toFixed(1),
    old: count((o) => o.result === "old"),
    new: count((o) => o.result === "new"),
    killed: count((o) => o.exit === "SIGKILL"),
    completed: count((o) => o.exit === "exit 0"),
    killed_inside_write: count(insideWrite),
    temp_file_seen_after: count((o) => o.leftTemp),
  };
  t.diagnostic(JSON.stringify(summary));
  assert.ok(outcomes.length >= 8, `only ${outcomes.length} runs in the time budget`);
  assert.ok(summary.old > 0 && summary.killed > 0, "no kill landed before a write finished");
  assert.ok(summary.killed_inside_write > 0, "no kill landed between the temp file's creation and its rename");

  // The file the storm left reads, through the CLI, with no error, and takes a set again.
  const get = spawnSync(process.execPath, [ROS, "config", "get", "hostname"], { env, encoding: "utf8" });
  assert.equal(get.status, 0, get.stderr);
  assert.equal(get.stdout, "storm\n");
  assert.equal(get.stderr, "");
  const set = spawnSync(process.execPath, [ROS, "config", "set", "rancher.environment.AFTER", "storm"], { env, encoding: "utf8" });
  assert.equal(set.status, 0, set.stderr);
  assert.equal(readFileSync(file, "utf8"), predict(prev, "AFTER", "storm"));
  assert.deepEqual(temps(), [], "the next finished write clears what killed writes left");
});

test("concurrent ros config set calls each land: the edit is locked, not lost", { timeout: 60_000 }, async () => {
  const own = join(scratch, "concurrent");
  const run = (i: number) =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [ROS, "config", "set", `rancher.environment.PAR_${i}`, String(i)], { env: { ...process.env, ROS_ROOT: own }, stdio: "ignore" });
      child.on("close", (code) => resolve(code ?? -1));
    });
  const codes = await Promise.all([0, 1, 2, 3, 4, 5].map(run));
  assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
  const env = parseDocument(readFileSync(join(own, "var/lib/rancher/conf/cloud-config.yml"), "utf8")).toJS().rancher.environment;
  assert.deepEqual(Object.keys(env).sort(), ["PAR_0", "PAR_1", "PAR_2", "PAR_3", "PAR_4", "PAR_5"]);
  assert.equal(existsSync(join(own, "var/lib/rancher/conf/cloud-config.yml.lock")), false, "the lock is released");
});
