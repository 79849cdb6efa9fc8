// A copy of every record for a systemd journald running beside the journal (a development host):
// one stream per unit on journald's stdout socket, the protocol a systemd service's output speaks,
// each line led by its priority as `<N>`. The copy never holds the journal up: while journald is
// missing, slow or gone, copies are dropped, and the socket is looked for again a few seconds later.
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import type { JournalRecord } from "./record.ts";

/** How long a missing or failed journald is left alone before it is tried again. */
const RETRY_MS = 5000;
/** What may wait for a slow journald on one stream before its copies are dropped. */
const MAX_BUFFERED = 1 << 20;
/** Streams open at once; the least recently opened is closed to make room. */
const MAX_STREAMS = 64;

export class JournaldForwarder {
  private readonly streams = new Map<string, Socket>();
  private retryAt = 0;
  private lastError = "";
  private connected = false;

  constructor(
    private readonly socketPath: string,
    private readonly say: (m: string) => void,
  ) {}

  send(r: JournalRecord): void {
    let s = this.streams.get(r.unit);
    if (!s) {
      if (Date.now() < this.retryAt) return;
      if (!existsSync(this.socketPath)) {
        this.retryAt = Date.now() + RETRY_MS;
        return;
      }
      s = this.open(r.unit);
    }
    if (s.writableLength > MAX_BUFFERED) return;
    s.write(r.message.split("\n").map((line) => `<${r.priority}>${line}\n`).join(""));
  }

  private open(unit: string): Socket {
    if (this.streams.size >= MAX_STREAMS) {
      const [oldest, s] = this.streams.entries().next().value as [string, Socket];
      this.streams.delete(oldest);
      s.end();
    }
    const s = connect(this.socketPath);
    // The stream's header: identifier, unit id (none), default priority, level prefixes on, and no
    // copies to syslog, kmsg or the console (the journal already has them).
    s.write(`${unit.replace(/\n/g, " ")}\n\n6\n1\n0\n0\n0\n`);
    s.once("connect", () => {
      if (!this.connected) this.say(`forwarding to journald at ${this.socketPath}`);
      this.connected = true;
      this.lastError = "";
    });
    s.on("error", (e) => {
      this.retryAt = Date.now() + RETRY_MS;
      if (e.message !== this.lastError) this.say(`cannot forward to journald at ${this.socketPath}: ${e.message}; trying again in ${RETRY_MS / 1000} s`);
      this.lastError = e.message;
      this.connected = false;
    });
    s.once("close", () => {
      if (this.streams.get(unit) === s) this.streams.delete(unit);
    });
    this.streams.set(unit, s);
    return s;
  }

  close(): void {
    for (const s of this.streams.values()) s.end();
    this.streams.clear();
  }
}
