// Serialises read-modify-write of one file between processes (two `ros config set` at once must
// not lose either change): a lock file created exclusively, holding its owner's PID. A lock whose
// owner is dead (kill -9) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { processAlive } from "./process-alive.ts";

const WAIT_MS = 10_000;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** True when the lock was left by a dead process and is now removed (or already gone). */
function takeOverIfDead(lock: string): boolean {
  try {
    const owner = readFileSync(lock, "utf8");
    // A lock file still empty is being written by its owner this instant (or its owner died then).
    if (owner === "" ? Date.now() - statSync(lock).mtimeMs < 1000 : processAlive(Number(owner))) return false;
    unlinkSync(lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw e;
  }
}

export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  const until = Date.now() + WAIT_MS;
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
      sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}
