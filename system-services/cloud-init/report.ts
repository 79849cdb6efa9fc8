// What one cloud-init stage did, action by action: each failure is logged as it happens, the stage
// ends with one summary line, and the JSON report (one entry per stage) is what `ros` can show.
import { existsSync, readFileSync } from "node:fs";
import { atomicWrite } from "../../os/atomic-write.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";

export type Stage = "host" | "console-init" | "console-final";

export interface Action {
  /** "<kind> <subject>", like "sysctl net.ipv4.ip_forward" or "runcmd 2: echo hi". */
  what: string;
  ok: boolean;
  error?: string;
  /** Why nothing was done (already done this boot or this instance). */
  skipped?: string;
  /** A command's output (its tail). */
  output?: string;
}

export interface StageReport { finished: string; actions: Action[] }
export interface Report { stages: Partial<Record<Stage, StageReport>> }

const COMPONENT = "cloud-init";

export class Reporter {
  readonly actions: Action[] = [];
  constructor(readonly stage: Stage) {}

  /** Runs one action; a failure is recorded and logged, never thrown. Returns whether it succeeded. */
  async step(what: string, fn: () => unknown): Promise<boolean> {
    try {
      const output = await fn();
      this.actions.push({ what, ok: true, ...(typeof output === "string" && output ? { output } : {}) });
      return true;
    } catch (e) {
      const error = (e as Error).message;
      this.actions.push({ what, ok: false, error });
      log(COMPONENT, `${this.stage}: ${what}: ${error}`);
      return false;
    }
  }

  skip(what: string, why: string): void {
    this.actions.push({ what, ok: true, skipped: why });
  }

  /** "modules 1 ok; sysctl 2 ok, 1 failed" — counted by kind, the first word of each action. */
  summary(): string {
    const kinds = new Map<string, { ok: number; failed: number; skipped: number }>();
    for (const a of this.actions) {
      const kind = a.what.split(" ")[0]!;
      const c = kinds.get(kind) ?? { ok: 0, failed: 0, skipped: 0 };
      if (a.skipped) c.skipped++;
      else if (a.ok) c.ok++;
      else c.failed++;
      kinds.set(kind, c);
    }
    if (kinds.size === 0) return "nothing to do";
    return [...kinds].map(([k, c]) => `${k} ${[c.ok && `${c.ok} ok`, c.failed && `${c.failed} failed`, c.skipped && `${c.skipped} skipped`].filter(Boolean).join(", ")}`).join("; ");
  }

  /** Logs the summary and records this stage in the report file, keeping the other stages'. */
  finish(): void {
    log(COMPONENT, `${this.stage}: ${this.summary()}`);
    const report = readReport();
    report.stages[this.stage] = { finished: new Date().toISOString(), actions: this.actions };
    try {
      // Root only: a command's output may echo what the config keeps secret.
      atomicWrite(paths.cloudInitReport, JSON.stringify(report, null, 2) + "\n", 0o600);
    } catch (e) {
      log(COMPONENT, `cannot write the report ${paths.cloudInitReport}: ${(e as Error).message}`);
    }
  }
}

export function readReport(): Report {
  try {
    const r = existsSync(paths.cloudInitReport) ? (JSON.parse(readFileSync(paths.cloudInitReport, "utf8")) as Report) : undefined;
    if (r && typeof r.stages === "object" && r.stages !== null) return r;
  } catch {
    // A torn or foreign file is replaced by this stage's report.
  }
  return { stages: {} };
}
