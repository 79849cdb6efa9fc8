// The kernel's log from /dev/kmsg: each read returns one record,
// `<syslog prefix>,<seq>,<µs since boot>,<flags>[,…];<message>` then ` KEY=value` lines, with
// unprintable bytes escaped as \xNN. The ring is read from its start; a restart within the same
// boot skips the sequence numbers already taken.
import { closeSync, constants, openSync, read } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { realtimeAt, type JournalRecord } from "./record.ts";
import { splitTag } from "./syslog-parse.ts";

export interface KmsgEntry {
  priority: number;
  facility: number;
  seq: number;
  /** µs since boot. */
  monotonic: number;
  message: string;
  /** The continuation lines: SUBSYSTEM=…, DEVICE=…. */
  dict: Record<string, string>;
}

/** Undoes the kernel's \xNN escapes, as bytes, so escaped UTF-8 comes back whole. */
export function unescapeKmsg(text: string): string {
  if (!text.includes("\\x")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "\\" && text[i + 1] === "x" ? /^[0-9a-fA-F]{2}$/.exec(text.slice(i + 2, i + 4)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 3;
    } else bytes.push(...Buffer.from(text[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** One record as read; undefined when it is not one (a kernel too old or too new to agree). */
export function parseKmsg(text: string): KmsgEntry | undefined {
  const semi = text.indexOf(";");
  if (semi < 0) return undefined;
  const [prefix, seq, usec] = text.slice(0, semi).split(",").map(Number);
  if (![prefix, seq, usec].every((n) => Number.isInteger(n) && n! >= 0)) return undefined;
  const [first = "", ...more] = text.slice(semi + 1).replace(/\n$/, "").split("\n");
  const dict: Record<string, string> = {};
  for (const line of more) {
    const eq = line.indexOf("=");
    if (line.startsWith(" ") && eq > 1) dict[line.slice(1, eq)] = unescapeKmsg(line.slice(eq + 1));
  }
  return { priority: prefix! & 7, facility: prefix! >> 3, seq: seq!, monotonic: usec!, message: unescapeKmsg(first), dict };
}

export function kmsgRecord(e: KmsgEntry, boot: string): JournalRecord {
  const fields: JournalRecord["fields"] = { transport: "kernel", seqnum: e.seq, boot_id: boot };
  for (const [k, v] of Object.entries(e.dict)) fields[k.toLowerCase()] = v;
  // Facility 0 is the kernel itself; others are programs that wrote to /dev/kmsg (early boot).
  let unit = "kernel";
  let message = e.message;
  if (e.facility !== 0) {
    const t = splitTag(e.message);
    fields.facility = e.facility;
    if (t.pid !== undefined) fields.pid = t.pid;
    unit = t.tag ?? unit;
    message = t.message;
  }
  return { realtime: realtimeAt(e.monotonic), monotonic: e.monotonic, unit, priority: e.priority, message, fields };
}

/** How often to look for new records once the ring is read: kernel messages are rare and not urgent. */
const POLL_MS = 500;

export interface KmsgReader {
  stop(): Promise<void>;
}

/** Reads `path` from the start of the ring, skipping up to `afterSeq`, then waits for more. */
export function readKmsg(path: string, boot: string, afterSeq: number | undefined, emit: (r: JournalRecord) => void, log: (m: string) => void): KmsgReader {
  const abort = new AbortController();
  // Blocking reads would hold one of libuv's few threads forever; a non-blocking one says EAGAIN.
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    log(`no kernel messages: cannot open ${path}: ${(e as Error).message}`);
    return { stop: async () => undefined };
  }
  // A record is at most about 8 KiB (the kernel's own limit on one read).
  const buf = Buffer.alloc(16 << 10);
  const readOnce = () => new Promise<number>((resolve, reject) => read(fd, buf, 0, buf.length, null, (e, n) => (e ? reject(e) : resolve(n))));
  const loop = async () => {
    while (!abort.signal.aborted) {
      let n: number;
      try {
        n = await readOnce();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // EPIPE: records were overwritten before this read; the next read goes on from the oldest left.
        if (code === "EPIPE") continue;
        if (code === "EAGAIN") {
          await sleep(POLL_MS, undefined, { signal: abort.signal }).catch(() => undefined);
          continue;
        }
        log(`stopped reading kernel messages: ${(e as Error).message}`);
        return;
      }
      const entry = parseKmsg(buf.toString("utf8", 0, n));
      if (entry && (afterSeq === undefined || entry.seq > afterSeq)) emit(kmsgRecord(entry, boot));
    }
  };
  const done = loop().finally(() => closeSync(fd));
  return {
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}
