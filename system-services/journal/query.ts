// `ros logs`: the journal filtered and printed, and followed with -f. Bad arguments are said with
// what to write instead, before anything is read.
import { hostname } from "node:os";
import { paths } from "../../os/paths.ts";
import { journalFiles } from "./files.ts";
import { formatJson, formatShort } from "./format.ts";
import { endPosition, follow, lastRecords, recordsFrom, type Filter } from "./read.ts";
import { parsePriority, type JournalRecord } from "./record.ts";
import { parseTime } from "./time.ts";

export interface LogsOptions {
  unit?: string[];
  priority?: string;
  since?: string;
  until?: string;
  follow?: boolean;
  lines?: string;
  output?: string;
}

class UsageError extends Error {}

function argument<T>(option: string, value: string, parse: (v: string) => T): T {
  try {
    return parse(value);
  } catch (e) {
    throw new UsageError(`ros logs: bad ${option}: ${(e as Error).message}`);
  }
}

/** `-p err` (that level and more urgent) or `-p err..warning` (a range, either way round). */
function priorityRange(text: string): Pick<Filter, "minPriority" | "maxPriority"> {
  const [a, b] = text.split("..");
  if (b === undefined) return { maxPriority: parsePriority(a!) };
  const [x, y] = [parsePriority(a!), parsePriority(b)];
  return { minPriority: Math.min(x, y), maxPriority: Math.max(x, y) };
}

function lineCount(text: string): number {
  if (text === "all") return Infinity;
  if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a number of lines (write a whole number, or "all")`);
  return Number(text);
}

export function filterOf(o: LogsOptions): Filter {
  const f: Filter = {};
  if (o.unit?.length) f.units = o.unit;
  if (o.priority !== undefined) Object.assign(f, argument("--priority", o.priority, priorityRange));
  if (o.since !== undefined) f.since = argument("--since", o.since, (v) => parseTime(v));
  if (o.until !== undefined) f.until = argument("--until", o.until, (v) => parseTime(v));
  if (f.since !== undefined && f.until !== undefined && f.since > f.until) throw new UsageError(`ros logs: --since ${o.since} is after --until ${o.until}: nothing could match`);
  return f;
}

/** Gathers output into large writes: a query may print hundreds of thousands of lines. */
class Out {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly format: (r: JournalRecord) => string) {}
  add(r: JournalRecord): void {
    const line = `${this.format(r)}\n`;
    this.parts.push(line);
    this.size += line.length;
    if (this.size > 64 << 10) this.flush();
  }
  flush(): void {
    if (this.parts.length) process.stdout.write(this.parts.join(""));
    this.parts = [];
    this.size = 0;
  }
}

const usage = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

export async function logs(o: LogsOptions, dir = paths.journal): Promise<void> {
  let f: Filter = {};
  let n: number | undefined;
  try {
    if (o.output !== undefined && o.output !== "short" && o.output !== "json") throw new UsageError(`ros logs: bad --output "${o.output}": use short or json`);
    f = filterOf(o);
    n = o.lines === undefined ? (o.follow ? 10 : undefined) : argument("--lines", o.lines, lineCount);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    usage(e.message);
  }
  // `ros logs | head` closes the pipe early: that is the reader being done, not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => process.exit(e.code === "EPIPE" ? 0 : 1));
  const host = hostname();
  const out = new Out(o.output === "json" ? formatJson : (r) => formatShort(r, host));

  try {
    if (!o.follow && journalFiles(dir).length === 0) {
      process.stderr.write(`ros logs: no journal in ${dir} yet (the journal service writes it: see \`ros service ps\`)\n`);
      return;
    }
    // Read up to a fixed end, so following from it neither misses nor repeats a record.
    const end = endPosition(dir);
    if (n === undefined) for (const { record } of recordsFrom(dir, undefined, f, end)) out.add(record);
    else lastRecords(dir, n, f, end).forEach((r) => out.add(r));
    out.flush();
    if (!o.follow) return;

    const stop = new AbortController();
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(s, () => stop.abort());
    for await (const r of follow(dir, end, f, stop.signal)) {
      out.add(r);
      out.flush();
    }
  } catch (e) {
    // The journal is readable by root only: what services and logins log is not every user's to read.
    if ((e as NodeJS.ErrnoException).code === "EACCES") usage(`ros logs: cannot read the journal: ${(e as Error).message} (run it as root: sudo ros logs)`);
    throw e;
  }
}
