// The times `ros logs --since/--until` accept, as journalctl users write them: ISO dates and times
// (local unless they carry a zone), today/yesterday/now, @epoch-seconds, and durations back from
// now (`-10m`, `1h ago`, `2 days ago`; a bare `10m` means ago too) or ahead (`+5m`).

const UNITS: [RegExp, number][] = [
  [/^(us|usec|µs)$/, 1e-3],
  [/^(ms|msec)$/, 1],
  [/^(s|sec|secs|second|seconds)$/, 1000],
  [/^(m|min|mins|minute|minutes)$/, 60_000],
  [/^(h|hr|hrs|hour|hours)$/, 3_600_000],
  [/^(d|day|days)$/, 86_400_000],
  [/^(w|week|weeks)$/, 7 * 86_400_000],
  [/^(M|month|months)$/, 30.44 * 86_400_000],
  [/^(y|year|years)$/, 365.25 * 86_400_000],
];

const HINT = 'use a time like "2024-11-23 10:00", "2024-11-23T10:00:00Z", "10:00", "today", "yesterday", "-10m", "1h ago" or "@1700000000"';

/** A duration like `1h30m` or `2 days` in ms; undefined when it is not one. */
function duration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*([a-zA-Zµ]+)\s*/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) return undefined;
  let ms = 0;
  for (const [, n, unit] of parts) {
    const u = UNITS.find(([re]) => re.test(unit!));
    if (!u) return undefined;
    ms += Number(n) * u[1];
  }
  return ms;
}

/** Local midnight of `now`'s day, moved by `days`. */
function midnight(now: Date, days: number): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days).getTime();
}

/** A date and time, local unless it names a zone; undefined when it is not one or not a real date. */
function absolute(text: string, now: Date): number | undefined {
  const clock = /^(\d\d?):(\d\d)(?::(\d\d))?$/.exec(text);
  if (clock) {
    const [h, mi, s = "0"] = clock.slice(1).map((x) => x ?? "0");
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
    return new Date(now.getFullYear(), now.getMonth(), now.getDate(), Number(h), Number(mi), Number(s)).getTime();
  }
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?\s*(Z|UTC|[+-]\d\d:?\d\d)?$/i.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => Number(x ?? 0));
  const frac = m[7] ? Number(m[7]) * 1000 : 0;
  const zone = m[8]?.toUpperCase();
  let ms: number;
  if (zone) {
    const offset = zone === "Z" || zone === "UTC" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    ms = Date.UTC(y!, mo! - 1, d!, h, mi, s) - offset * 60_000;
  } else ms = new Date(y!, mo! - 1, d!, h, mi, s).getTime();
  // Date rolls 2024-02-31 over to March: check the fields came back as written.
  const back = new Date(zone ? Date.UTC(y!, mo! - 1, d!, h, mi, s) : ms);
  const [by, bmo, bd] = zone ? [back.getUTCFullYear(), back.getUTCMonth(), back.getUTCDate()] : [back.getFullYear(), back.getMonth(), back.getDate()];
  if (by !== y || bmo !== mo! - 1 || bd !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms + frac;
}

/** `text` as µs since the epoch; throws a message with examples when it is not a time. */
export function parseTime(text: string, now = new Date()): number {
  const t = text.trim();
  const named = new Map([["now", now.getTime()], ["today", midnight(now, 0)], ["yesterday", midnight(now, -1)], ["tomorrow", midnight(now, 1)]]);
  let ms = named.get(t.toLowerCase());
  if (ms === undefined && /^@\d+(\.\d+)?$/.test(t)) ms = Number(t.slice(1)) * 1000;
  if (ms === undefined) ms = absolute(t, now);
  if (ms === undefined) {
    const rel = /^([+-])?\s*(.+?)(\s+ago)?$/.exec(t);
    const d = rel && !(rel[1] && rel[3]) ? duration(rel[2]!) : undefined;
    if (d !== undefined) ms = now.getTime() + (rel![1] === "+" ? d : -d);
  }
  if (ms === undefined) throw new Error(`not a time: "${text}" (${HINT})`);
  return Math.round(ms * 1000);
}
