// Writes a file so a crash leaves either the old or the new content: temp file, fsync, rename, fsync dir.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { processAlive } from "./process-alive.ts";

/** A temp file untouched this long is stale whatever its PID says (PIDs start over at each boot). */
const STALE_MS = 10 * 60_000;

/**
 * Removes the temp files of earlier writes of `file` whose writer died before its rename (kill -9,
 * power loss): nothing else would, and each is as big as the file. Best effort.
 */
function clearStaleTemps(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    const pid = Number(name.slice(prefix.length));
    const tmp = join(dir, name);
    try {
      if (pid === process.pid || (processAlive(pid) && Date.now() - statSync(tmp).mtimeMs < STALE_MS)) continue;
      unlinkSync(tmp);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

export function atomicWrite(file: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  clearStaleTemps(file);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", mode);
  try {
    try {
      // write(2) may write less than asked (a disk filling up): a short write renamed into place
      // would be the torn file this function exists to prevent.
      const data = Buffer.from(content);
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    // A failed write (a full disk) must not leave its partial copy behind.
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to remove.
    }
    throw e;
  }
  const dfd = openSync(dirname(file), "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
