// Turns a growing serial console file into a timeline: when (host ms since QEMU start) each line
// first appeared, found by polling the file every 100 ms. Guest timestamps inside the lines are
// kept too, so host-side and guest-side clocks can be compared.
import { closeSync, existsSync, openSync, readSync, fstatSync } from "node:fs";

export const POLL_MS = 100;

export interface SeenLine { text: string; ms: number }

// GRUB draws its menu with cursor escapes; they would hide the text a regex looks for.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]/g;

export class SerialWatch {
  /** Every complete line (\r and escapes removed), with the first poll that saw it. */
  readonly lines: SeenLine[] = [];
  firstByteMs?: number;
  private raw = "";
  private offset = 0;
  private partial = "";
  private timer?: NodeJS.Timeout;
  private readonly probes = new Map<string, { re: RegExp; ms?: number }>();

  constructor(readonly file: string, private readonly clock: () => number) {}

  /** Records the first time the raw serial text (escapes removed, lines not split) matches `re`. */
  probe(name: string, re: RegExp): this {
    this.probes.set(name, { re });
    return this;
  }

  seen(name: string): number | undefined {
    return this.probes.get(name)?.ms;
  }

  start(): this {
    this.timer = setInterval(() => this.poll(), POLL_MS);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.poll();
  }

  /** Reads what QEMU appended since the last poll. */
  poll(): void {
    if (!existsSync(this.file)) return;
    const fd = openSync(this.file, "r");
    let chunk = "";
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      chunk = buf.subarray(0, n).toString("latin1");
    } finally {
      closeSync(fd);
    }
    const ms = this.clock();
    this.firstByteMs ??= ms;
    const clean = chunk.replace(ANSI, "").replace(/\r/g, "");
    this.raw += clean;
    for (const p of this.probes.values()) if (p.ms === undefined && p.re.test(this.raw)) p.ms = ms;
    const parts = (this.partial + clean).split("\n");
    this.partial = parts.pop()!;
    for (const text of parts) this.lines.push({ text, ms });
  }

  /** The first complete line matching `re`, with the match. */
  find(re: RegExp): { line: SeenLine; m: RegExpMatchArray } | undefined {
    for (const line of this.lines) {
      const m = line.text.match(re);
      if (m) return { line, m };
    }
    return undefined;
  }

  /** Waits until a line matches one of `res`; throws if `fail` matches, QEMU stops, or time runs out. */
  async waitForLine(res: RegExp[], deadline: number, alive: () => boolean, fail?: RegExp): Promise<{ line: SeenLine; m: RegExpMatchArray }> {
    for (;;) {
      this.poll();
      for (const re of res) {
        const hit = this.find(re);
        if (hit) return hit;
      }
      const bad = fail && this.find(fail);
      if (bad) throw new Error(`guest reported failure: ${bad.line.text}`);
      if (!alive()) throw new Error(`QEMU exited before ${res.join(" or ")}`);
      if (Date.now() > deadline) throw new Error(`no ${res.join(" or ")} on the serial console in time`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  tail(chars = 3000): string {
    return (this.raw + this.partial).slice(-chars);
  }
}

/**
 * Host ms at which the guest's uptime clock read zero, from lines that carry the guest's uptime:
 * each line was printed no later than it was seen, so the smallest (seen − uptime) is the tightest.
 * Under `quiet` the kernel prints nothing of its own, so this stands in for "kernel started".
 */
export function guestClockZeroMs(samples: { ms: number; uptimeS: number }[]): number | null {
  if (samples.length === 0) return null;
  return Math.min(...samples.map((s) => s.ms - s.uptimeS * 1000));
}

export const round = (ms: number | undefined | null): number | null => (ms === undefined || ms === null ? null : Math.round(ms));
