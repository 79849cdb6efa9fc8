// Concurrent `ros config set` processes, some SIGKILLed at random moments, round after round, while
// the test reads cloud-config.yml as fast as it can: every read parses; no change that finished is
// lost; a key several processes set ends as one of the values they wrote; a writer killed holding
// the lock does not stop the others; and the temp files and lock of killed writers go once a later
// set runs. (test/integration/config-atomic.test.ts kills one writer at a time and checks the exact
// bytes; this is the storm with many.)
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, watch, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import { parseDocument } from "yaml";
import { rng } from "../fixtures/rng.ts";
import { configScratch } from "../integration/private-bundle.ts";
import { runSeed } from "./corpus.ts";

const { ros: ROS, file, dir, env } = await configScratch("corral-faults-storm-");

const SEED = runSeed();
console.log(`config set storm: FAULTS_SEED=${SEED}`);
const ROUNDS = 10;
const WRITERS = 6;
const FILLER = 2000;

/** Temp files of os/atomic-write.ts (`<file>.tmp-<pid>`) and the lock of os/file-lock.ts. */
const TEMP = new RegExp(`^${basename(file).replace(/\./g, "\\.")}\\.tmp-(\\d+)$`);
const leftovers = () => readdirSync(dir).filter((f) => TEMP.test(f) || f === `${basename(file)}.lock`);

/** The environment map of the file, or why it does not read: the check every read must pass. */
function environmentOf(text: string): Record<string, string> | string {
  const doc = parseDocument(text, { version: "1.1" });
  if (doc.errors.length) return `does not parse: ${doc.errors[0]!.message}`;
  const js = doc.toJS() as { hostname?: string; rancher?: { environment?: Record<string, string> } } | null;
  if (js?.hostname !== "storm") return `hostname is ${JSON.stringify(js?.hostname)}`;
  const e = js.rancher?.environment;
  if (!e || Object.keys(e).length < FILLER) return `${Object.keys(e ?? {}).length} environment entries`;
  return e;
}

/**
 * When a writer is killed: `delayMs` after it starts ("anytime", mostly its start-up), or that long
 * after it takes the lock ("locked") or opens its temp file ("writing"), seen through inotify.
 */
interface Kill { when: "anytime" | "locked" | "writing"; delayMs: number }
interface Writer { key: string; value: string; kill?: Kill }
interface Ended extends Writer { pid: number; killed: boolean }

/** Kills writers as they reach the moment their Kill names, by watching the folder of the file. */
function killer(): { arm(pid: number, kill: (ms: number) => void, k: Kill): void; close(): void } {
  const armed = new Map<number, { kill: (ms: number) => void; k: Kill }>();
  const watcher = watch(dir, (_event, name) => {
    if (name === `${basename(file)}.lock`) {
      let owner = NaN;
      try {
        owner = Number(readFileSync(`${file}.lock`, "utf8"));
      } catch {
        // Released already.
      }
      const a = armed.get(owner);
      if (a?.k.when === "locked") (armed.delete(owner), a.kill(a.k.delayMs));
    }
    const pid = Number(TEMP.exec(name ?? "")?.[1]);
    const a = armed.get(pid);
    if (a?.k.when === "writing") (armed.delete(pid), a.kill(a.k.delayMs));
  });
  return {
    arm: (pid, kill, k) => (k.when === "anytime" ? kill(k.delayMs) : armed.set(pid, { kill, k })),
    close: () => watcher.close(),
  };
}

function write(w: Writer, kills: ReturnType<typeof killer>): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ROS, "config", "set", `rancher.environment.${w.key}`, w.value], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    if (w.kill) kills.arm(child.pid!, (ms) => (timer = setTimeout(() => child.kill("SIGKILL"), ms)), w.kill);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolve({ ...w, pid: child.pid!, killed: true });
      else if (code === 0) resolve({ ...w, pid: child.pid!, killed: false });
      // A writer not killed must finish: a killed one's lock must not stop it.
      else reject(new Error(`ros config set ${w.key} ${w.value} exited ${code ?? signal}: ${stderr}`));
    });
  });
}

test("a storm of concurrent ros config set, killed at random: never torn, nothing finished lost, nothing left behind", { timeout: 200_000 }, async (t) => {
  mkdirSync(dir, { recursive: true });
  const filler = Array.from({ length: FILLER }, (_, i) => `    FILL_${i}: value-${i}-abcdefghijklmnopqrstuvwxyz`);
  writeFileSync(file, ["#cloud-config", "hostname: storm", "rancher:", "  environment:", ...filler, "    SHARED: initial", ""].join("\n"), { mode: 0o600 });
  const t0 = performance.now();
  const calibrate = spawnSync(process.execPath, [ROS, "config", "set", "rancher.environment.CALIBRATED", "calibrated"], { env, encoding: "utf8" });
  assert.equal(calibrate.status, 0, calibrate.stderr);
  const fullMs = performance.now() - t0;

  // What every finished (or landed) write must still say at the end: no later write may lose it.
  const kept: Record<string, string> = { CALIBRATED: "calibrated" };
  let shared = "initial";
  let reads = 0;
  let killed = 0;
  let killedLanded = 0;
  const left = { lock: 0, temp: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const r = rng((SEED ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0);
    // Half the writers set a key of their own, half the one key they share; about half are killed:
    // at any moment up to twice a lone set's time, or while they hold the lock, or mid-write.
    const writers: Writer[] = Array.from({ length: WRITERS }, (_, w) => {
      // Kills of lock holders most: each leaves a dead owner's lock that the waiters race to take over.
      const when = (["anytime", "locked", "locked", "writing"] as const)[Math.floor(r() * 4)]!;
      const delayMs = when === "anytime" ? r() * 2 * fullMs : when === "locked" ? r() * 40 : r() < 0.5 ? 0 : r() * 3;
      return { key: w % 2 ? "SHARED" : `OWN_${round}_${w}`, value: `r${round}w${w}-${Math.floor(r() * 1e9).toString(36)}`, ...(r() < 0.5 ? { kill: { when, delayMs } } : {}) };
    });
    const kills = killer();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const e = environmentOf(readFileSync(file, "utf8"));
        reads++;
        assert.equal(typeof e, "object", `round ${round}, read ${reads}: cloud-config.yml is torn: ${String(e)}`);
        await new Promise((res) => setImmediate(res));
      }
    })();
    const ended = await Promise.all(writers.map((w) => write(w, kills))).finally(() => ((reading = false), kills.close()));
    await reader;

    const label = `FAULTS_SEED=${SEED} round ${round}`;
    const now = environmentOf(readFileSync(file, "utf8"));
    assert.ok(typeof now === "object", `${label}: ${String(now)}`);
    for (const [k, v] of Object.entries(kept)) assert.equal(now[k], v, `${label}: ${k} was lost or changed`);
    for (let i = 0; i < FILLER; i++) assert.equal(now[`FILL_${i}`], `value-${i}-abcdefghijklmnopqrstuvwxyz`, label);
    for (const e of ended.filter((x) => x.key !== "SHARED")) {
      if (!e.killed) assert.equal(now[e.key], e.value, `${label}: ${e.key} finished but is not in the file`);
      else assert.ok(now[e.key] === undefined || now[e.key] === e.value, `${label}: ${e.key} is ${now[e.key]}`);
      if (now[e.key] !== undefined) kept[e.key] = now[e.key]!;
      if (e.killed && now[e.key] !== undefined) killedLanded++;
    }
    const sharers = ended.filter((x) => x.key === "SHARED");
    const written = sharers.map((x) => x.value);
    if (sharers.some((x) => !x.killed)) assert.ok(written.includes(now.SHARED!), `${label}: SHARED is ${now.SHARED}, none of ${written.join(", ")}`);
    else assert.ok([shared, ...written].includes(now.SHARED!), `${label}: SHARED is ${now.SHARED}`);
    shared = now.SHARED!;
    killed += ended.filter((x) => x.killed).length;

    // A killed writer may leave its temp file or the lock: only killed writers' leftovers, never a pile.
    const killedPids = new Set(ended.filter((x) => x.killed).map((x) => x.pid));
    for (const f of leftovers()) {
      const pid = TEMP.exec(f)?.[1];
      if (pid !== undefined) assert.ok(killedPids.has(Number(pid)), `${label}: ${f} is not from a writer killed this round`);
      left[pid === undefined ? "lock" : "temp"]++;
    }
  }
  t.diagnostic(JSON.stringify({ rounds: ROUNDS, writers: WRITERS, loneSetMs: Math.round(fullMs), reads, killed, killedOwnKeyLanded: killedLanded, leftAfterRound: left }));
  assert.ok(killed > 0, "no writer was killed");
  assert.ok(reads > ROUNDS * 10, `only ${reads} reads during the storm`);

  // A set after the storm finishes, and clears every temp file and the lock the killed ones left.
  const last = spawnSync(process.execPath, [ROS, "config", "set", "rancher.environment.AFTER", "storm"], { env, encoding: "utf8" });
  assert.equal(last.status, 0, last.stderr);
  assert.deepEqual(leftovers(), []);
  const end = environmentOf(readFileSync(file, "utf8"));
  assert.ok(typeof end === "object" && end.AFTER === "storm" && end.SHARED === shared, String(end));
  assert.equal(existsSync(`${file}.lock`), false);
});
