// The journal's files in its folder: `<seq>.jsonl`, numbered in write order, the highest the one
// being written. Positions name a file by its number and a byte offset in it.
import { readdirSync } from "node:fs";
import { join } from "node:path";

export interface JournalFile {
  seq: number;
  path: string;
}

/** A place in the journal: everything before `offset` in file `file` (and all earlier files) is read. */
export interface Position {
  file: number;
  offset: number;
}

const NAME = /^(\d{10})\.jsonl$/;

export const journalFileName = (seq: number): string => `${String(seq).padStart(10, "0")}.jsonl`;

/** The files oldest first; none when the folder does not exist yet. */
export function journalFiles(dir: string): JournalFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .map((n) => NAME.exec(n))
    .filter((m) => m !== null)
    .map((m) => ({ seq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.seq - b.seq);
}
