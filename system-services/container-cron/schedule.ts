// A `cron.schedule` label as a function from "now" to the next run. The forms users bring from
// RancherOS: 5 fields (minute first), 6 fields (seconds first), the @yearly…@hourly shorthands and
// `@every <duration>`. Field syntax is cron-parser's; the field count is checked here because the
// library quietly fills in missing fields, which would turn a typo into a schedule.
import { CronExpressionParser } from "cron-parser";

export interface Schedule {
  /** The label as written. */
  text: string;
  /** The first run strictly after `after`. */
  next(after: Date): Date;
}

const SHORTHANDS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;

/** A Go-style duration (`90s`, `1h30m`, `1.5h`) in milliseconds, or undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!text) return undefined;
  DURATION_PART.lastIndex = 0;
  let ms = 0;
  let m: RegExpExecArray | null;
  while ((m = DURATION_PART.exec(text))) {
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    if (DURATION_PART.lastIndex === text.length) return ms;
  }
  return undefined;
}

function every(text: string, duration: string): Schedule {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new Error(`"${duration}" is not a duration (write it like 30s, 5m or 1h30m)`);
  // Whole seconds, at least one: a sub-second period would only make a container thrash.
  const period = Math.max(1000, Math.floor(ms / 1000) * 1000);
  return { text, next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + period) };
}

/** Parses a schedule; throws an Error saying what is wrong with it. */
export function parseSchedule(label: string): Schedule {
  const text = label.trim();
  const lower = text.toLowerCase();
  if (lower.startsWith("@every")) return every(text, text.slice("@every".length).trim());
  let expression = text;
  if (lower.startsWith("@")) {
    expression = SHORTHANDS[lower] ?? "";
    if (!expression) throw new Error(`unknown shorthand ${text} (use ${Object.keys(SHORTHANDS).join(", ")} or @every <duration>)`);
  }
  const fields = expression.split(/\s+/).filter(Boolean).length;
  if (fields !== 5 && fields !== 6) throw new Error(`expected 5 fields (minute hour day month weekday) or 6 with seconds first, found ${fields}`);
  // Parsed once here so a bad expression is reported when the container is found, not when it would run.
  CronExpressionParser.parse(expression);
  return { text, next: (after) => CronExpressionParser.parse(expression, { currentDate: after }).next().toDate() };
}
