// Mode `try`: a config change that undoes itself unless confirmed in time, so a change that cuts
// the operator off (a wrong address, a closed port) does not stay. The file's previous content and
// the deadline are on disk: an agent restarted (or a host rebooted) during the trial still reverts.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { atomicWrite } from "../atomic-write.ts";
import { withFileLock } from "../file-lock.ts";
import { paths } from "../paths.ts";

export interface Trial {
  id: string;
  /** ISO time after which the change is reverted. */
  deadline: string;
  /** cloud-config.yml before the change; null when there was none. */
  before: string | null;
}

export interface TrialOptions {
  /** Runs after a revert wrote the old file back (bringing services back to it). */
  onRevert: (t: Trial) => Promise<void>;
  log: (line: string) => void;
  file?: string;
  config?: string;
}

export class Trials {
  private timer: NodeJS.Timeout | undefined;
  private readonly file: string;
  private readonly config: string;

  constructor(private readonly o: TrialOptions) {
    this.file = o.file ?? paths.configTry;
    this.config = o.config ?? paths.cloudConfig;
  }

  current(): Trial | undefined {
    return existsSync(this.file) ? (JSON.parse(readFileSync(this.file, "utf8")) as Trial) : undefined;
  }

  /** Picks up a trial left by an earlier run: reverted at its deadline, or now if that has passed. */
  resume(): void {
    const t = this.current();
    if (t) this.arm(t);
  }

  /** Makes `change` (which writes cloud-config.yml, or throws) a trial; the snapshot is taken first. */
  begin(timeoutS: number, change: () => void): Trial {
    const before = existsSync(this.config) ? readFileSync(this.config, "utf8") : null;
    change();
    const t: Trial = { id: randomUUID(), deadline: new Date(Date.now() + timeoutS * 1000).toISOString(), before };
    atomicWrite(this.file, `${JSON.stringify(t)}\n`, 0o600);
    this.arm(t);
    return t;
  }

  /** Keeps the change; false when there is no such trial (reverted already, or another one). */
  confirm(id?: string): boolean {
    const t = this.current();
    if (!t || (id !== undefined && id !== t.id)) return false;
    this.disarm();
    rmSync(this.file, { force: true });
    return true;
  }

  async revert(): Promise<Trial | undefined> {
    this.disarm();
    const t = this.current();
    if (!t) return undefined;
    withFileLock(this.config, () => {
      if (t.before === null) rmSync(this.config, { force: true });
      else atomicWrite(this.config, t.before, 0o600);
    });
    rmSync(this.file, { force: true });
    await this.o.onRevert(t);
    return t;
  }

  stop(): void {
    this.disarm();
  }

  private arm(t: Trial): void {
    this.disarm();
    this.timer = setTimeout(() => void this.revert().catch((e: Error) => this.o.log(`config try ${t.id}: the revert failed: ${e.message}`)), Math.max(0, Date.parse(t.deadline) - Date.now()));
    // The servers keep the process; a pending revert alone does not (nor does it hold up an exit).
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
