// Appends records to the journal: whole lines only, a new file when the current one would pass the
// per-file cap, and the oldest files deleted while the folder is over the total cap. The journal
// service is the only writer; readers may read while it writes (they stop at the last newline).
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { journalFileName, journalFiles, type Position } from "./files.ts";
import type { JournalRecord } from "./record.ts";

export interface StoreLimits {
  /** A file is closed once the next record would take it past this. */
  maxFileBytes: number;
  /** The oldest files are deleted while all of them together are over this. */
  maxTotalBytes: number;
}

export const DEFAULT_LIMITS: StoreLimits = { maxFileBytes: 8 << 20, maxTotalBytes: 64 << 20 };

export class JournalWriter {
  private fd: number;
  private seq: number;
  private size: number;

  constructor(
    private readonly dir: string,
    private readonly limits: StoreLimits = DEFAULT_LIMITS,
  ) {
    mkdirSync(dir, { recursive: true });
    const last = journalFiles(dir).at(-1);
    this.seq = last?.seq ?? 1;
    this.fd = openSync(join(dir, journalFileName(this.seq)), "a", 0o640);
    this.size = fstatSync(this.fd).size;
    this.endTornLine();
    // The caps may have been lowered since the last run.
    this.trim();
  }

  /** A crash mid-write leaves a line without its newline: end it, so the next record is not glued to it. */
  private endTornLine(): void {
    if (this.size === 0) return;
    const last = Buffer.alloc(1);
    const fd = openSync(join(this.dir, journalFileName(this.seq)), "r");
    try {
      readSync(fd, last, 0, 1, this.size - 1);
    } finally {
      closeSync(fd);
    }
    if (last[0] !== 0x0a) this.write(Buffer.from("\n"));
  }

  private write(data: Buffer): void {
    for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off, data.length - off);
    this.size += data.length;
  }

  append(records: JournalRecord[]): void {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const writeBatch = () => {
      if (batchBytes) this.write(Buffer.concat(batch, batchBytes));
      batch = [];
      batchBytes = 0;
    };
    for (const r of records) {
      const line = Buffer.from(`${JSON.stringify(r)}\n`);
      // An empty file takes any record, however long, so one huge line cannot loop.
      if (this.size + batchBytes > 0 && this.size + batchBytes + line.length > this.limits.maxFileBytes) {
        writeBatch();
        this.rotate();
      }
      batch.push(line);
      batchBytes += line.length;
    }
    writeBatch();
  }

  private rotate(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.seq += 1;
    this.fd = openSync(join(this.dir, journalFileName(this.seq)), "a", 0o640);
    this.size = 0;
    this.trim();
  }

  /**
   * Deletes the oldest closed files until the file being written can fill up without taking the
   * total past its cap; that file itself stays.
   */
  private trim(): void {
    const files = journalFiles(this.dir).filter((f) => f.seq !== this.seq).map((f) => ({ ...f, size: statSize(f.path) }));
    let total = files.reduce((n, f) => n + f.size, 0) + Math.max(this.size, this.limits.maxFileBytes);
    for (const f of files) {
      if (total <= this.limits.maxTotalBytes) break;
      try {
        unlinkSync(f.path);
      } catch {
        // Removed by hand meanwhile: its bytes are gone either way.
      }
      total -= f.size;
    }
  }

  /** Where the next record will go: everything before it is written. */
  position(): Position {
    return { file: this.seq, offset: this.size };
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
