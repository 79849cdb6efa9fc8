// The lock `ros config set` and the API's edits share: a dead owner's lock, and a takeover guard
// left by a process killed while judging one, are taken over.
// (Many processes at once, killed at random: test/faults/config-set-storm.test.ts.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { withFileLock } from "../../os/file-lock.ts";

const dir = mkdtempSync(join(tmpdir(), "corral-file-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The PID of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

test("a dead owner's lock is taken over, and released after", () => {
  const file = join(dir, "a.yml");
  writeFileSync(`${file}.lock`, String(deadPid()));
  assert.equal(withFileLock(file, () => "ran"), "ran");
  assert.equal(existsSync(`${file}.lock`), false);
});

test("a takeover guard left by a killed process stops takeovers only until it is stale", () => {
  const file = join(dir, "b.yml");
  writeFileSync(`${file}.lock`, String(deadPid()));
  writeFileSync(`${file}.lock.takeover`, "");
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${file}.lock.takeover`, old, old);
  const started = Date.now();
  assert.equal(withFileLock(file, () => "ran"), "ran");
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  assert.deepEqual([existsSync(`${file}.lock`), existsSync(`${file}.lock.takeover`)], [false, false]);
});
