// Serialises read-modify-write of one file between processes (two `ros config set` at once must
// not lose either change): a lock file created exclusively, holding its owner's PID. A lock whose
// owner is dead (kill -9) is taken over, by one process at a time.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { processAlive } from "./process-alive.ts";

const WAIT_MS = 10_000;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The takeover guard's holder does a read, a kill(pid, 0) and an unlink: a guard this old was left by a holder killed inside. */
const GUARD_STALE_MS = 2000;

/**
 * True when the lock was left by a dead process and is now removed (or already gone). One process
 * at a time judges and removes, under a guard: two that both read the same dead owner could each
 * remove a lock, the second removing the one the first had just taken, and both would edit at once.
 */
function takeOverIfDead(lock: string): boolean {
  const guard = `${lock}.takeover`;
  try {
    closeSync(openSync(guard, "wx", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch {
      // Released meanwhile.
    }
    return false;
  }
  try {
    const owner = readFileSync(lock, "utf8");
    // A lock file still empty is being written by its owner this instant (or its owner died then).
    if (owner === "" ? Date.now() - statSync(lock).mtimeMs < 1000 : processAlive(Number(owner))) return false;
    unlinkSync(lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw e;
  } finally {
    // Gone only if this process stalled past GUARD_STALE_MS and another removed it.
    rmSync(guard, { force: true });
  }
}

/** `waitMs`: how long to wait for another holder (a config edit is quick; a build is not). */
export function withFileLock<T>(file: string, fn: () => T, waitMs = WAIT_MS): T {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (takeOverIfDead(lock)) continue;
      if (Date.now() > until) throw new Error(`${file} is locked by another process (${lock}); try again`);
      sleep(waitMs > WAIT_MS ? 500 : 20);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}
