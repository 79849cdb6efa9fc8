// One journal record, as stored (one JSON object per line, keys in this order) and as `ros logs -o
// json` prints it; and the syslog priority levels every source and filter speaks in.

export interface JournalRecord {
  /** Microseconds since the epoch. */
  realtime: number;
  /** Microseconds since boot (CLOCK_MONOTONIC). */
  monotonic: number;
  /** The container or service name, `kernel`, or the syslog tag. */
  unit: string;
  /** 0 (emerg) … 7 (debug). */
  priority: number;
  message: string;
  /** Where it came from: transport, container_id, scope, stream, pid, facility, seqnum… */
  fields: Record<string, string | number>;
}

export const PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;
/** The other spellings journalctl and syslog accept. */
const ALIASES: Record<string, number> = { panic: 0, error: 3, warn: 4 };

/** A level as a number 0–7 or a name (`err`, `warning`…); throws a message naming both forms. */
export function parsePriority(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t);
  const i = (PRIORITIES as readonly string[]).indexOf(t);
  if (i >= 0) return i;
  if (t in ALIASES) return ALIASES[t]!;
  throw new Error(`unknown priority "${text}": use 0-7 or one of ${PRIORITIES.join(", ")}`);
}

/** The realtime clock in µs (performance keeps the sub-millisecond part Date.now drops). */
export const nowRealtime = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);
/** libuv's hrtime is CLOCK_MONOTONIC: µs since boot. */
export const nowMonotonic = (): number => Number(process.hrtime.bigint() / 1000n);
/** The monotonic time of an event stamped with realtime `us` (by Docker, by the kernel's boot offset). */
export const monotonicAt = (us: number): number => Math.max(0, nowMonotonic() - (nowRealtime() - us));
/** The realtime of an event stamped with monotonic `us` (the kernel's records). */
export const realtimeAt = (us: number): number => nowRealtime() - (nowMonotonic() - us);
