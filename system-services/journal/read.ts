// Reads the journal back: from a position to the end, the last N records, or following new ones
// as they are written (across rotation). Only complete lines count: the writer may be mid-line.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { journalFileName, journalFiles, type Position } from "./files.ts";
import type { JournalRecord } from "./record.ts";

/** How often `follow` looks for new records. */
const POLL_MS = 250;

export interface Filter {
  /** Any of these units. */
  units?: string[];
  /** This level or more urgent (a lower number). */
  maxPriority?: number;
  /** This level or less urgent: with maxPriority, a range like err..warning. */
  minPriority?: number;
  /** µs since the epoch, inclusive. */
  since?: number;
  until?: number;
}

export interface Found {
  record: JournalRecord;
  /** Just after this record. */
  end: Position;
}

interface Chunk {
  lines: string[];
  /** The offset just after each line. */
  ends: number[];
}

/** The complete lines of a file from `offset` (and ending by `limit`); undefined when the file is gone. */
function readLines(path: string, offset: number, limit = Infinity): Chunk | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const buf = Buffer.alloc(Math.max(0, Math.min(fstatSync(fd).size, limit) - offset));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    const chunk: Chunk = { lines: [], ends: [] };
    for (let start = 0, nl = buf.indexOf(10); nl >= 0 && nl < got; start = nl + 1, nl = buf.indexOf(10, start)) {
      chunk.lines.push(buf.toString("utf8", start, nl));
      chunk.ends.push(offset + nl + 1);
    }
    return chunk;
  } finally {
    closeSync(fd);
  }
}

/** Decides whether a line can match before parsing it: parsing is most of the cost of a query. */
function prefilter(f: Filter): (line: string) => boolean {
  // The writer serializes `unit` right after the two numbers, always the same way.
  const needles = f.units?.map((u) => `"unit":${JSON.stringify(u)},`);
  return needles ? (line) => needles.some((n) => line.includes(n)) : () => true;
}

export function matches(r: JournalRecord, f: Filter): boolean {
  return (
    (!f.units || f.units.includes(r.unit)) &&
    (f.maxPriority === undefined || r.priority <= f.maxPriority) &&
    (f.minPriority === undefined || r.priority >= f.minPriority) &&
    (f.since === undefined || r.realtime >= f.since) &&
    (f.until === undefined || r.realtime <= f.until)
  );
}

function* parsed(seq: number, chunk: Chunk, f: Filter): Generator<Found> {
  const maybe = prefilter(f);
  for (let i = 0; i < chunk.lines.length; i++) {
    const line = chunk.lines[i]!;
    if (!maybe(line)) continue;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      // A line torn by a crash: the writer ended it and went on.
      continue;
    }
    if (matches(record, f)) yield { record, end: { file: seq, offset: chunk.ends[i]! } };
  }
}

const START: Position = { file: 0, offset: 0 };
const END: Position = { file: Infinity, offset: Infinity };

/** Every matching record after `from` and up to `upTo`, oldest first. */
export function* recordsFrom(dir: string, from: Position = START, f: Filter = {}, upTo: Position = END): Generator<Found> {
  for (const file of journalFiles(dir)) {
    if (file.seq < from.file || file.seq > upTo.file) continue;
    const chunk = readLines(file.path, file.seq === from.file ? from.offset : 0, file.seq === upTo.file ? upTo.offset : Infinity);
    if (chunk) yield* parsed(file.seq, chunk, f);
  }
}

/** The end of the complete lines written so far: where following starts. */
export function endPosition(dir: string): Position {
  const last = journalFiles(dir).at(-1);
  if (!last) return { file: 0, offset: 0 };
  return { file: last.seq, offset: readLines(last.path, 0)?.ends.at(-1) ?? 0 };
}

/** The last `n` matching records up to `upTo`, oldest first, read from the newest file back. */
export function lastRecords(dir: string, n: number, f: Filter = {}, upTo: Position = END): JournalRecord[] {
  const out: JournalRecord[][] = [];
  let count = 0;
  for (const file of journalFiles(dir).reverse()) {
    if (count >= n) break;
    if (file.seq > upTo.file) continue;
    const chunk = readLines(file.path, 0, file.seq === upTo.file ? upTo.offset : Infinity);
    if (!chunk) continue;
    const found = [...parsed(file.seq, chunk, f)].map((x) => x.record);
    out.unshift(found);
    count += found.length;
  }
  return n === 0 ? [] : out.flat().slice(-n);
}

/** Records written after `from`, as they come, until `signal` aborts; a rotation is followed. */
export async function* follow(dir: string, from: Position, f: Filter, signal: AbortSignal): AsyncGenerator<JournalRecord> {
  let pos = from;
  while (!signal.aborted) {
    // Listed before reading: a newer file means this one was complete before it was made.
    const next = journalFiles(dir).find((x) => x.seq > pos.file);
    const chunk = readLines(join(dir, journalFileName(pos.file)), pos.offset);
    if (chunk) {
      for (const { record } of parsed(pos.file, chunk, f)) yield record;
      if (chunk.ends.length) pos = { file: pos.file, offset: chunk.ends.at(-1)! };
    }
    if (next) pos = { file: next.seq, offset: 0 };
    else await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
