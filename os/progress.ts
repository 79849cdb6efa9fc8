// Progress for long work (the build, ros install): a bar on a terminal, one line per step otherwise
// (CI logs, a command run over SSH).
import cliProgress from "cli-progress";

export class Progress {
  private bar?: cliProgress.SingleBar;
  private done = 0;
  private started = Date.now();

  constructor(total: number, private readonly who = "build") {
    if (process.stdout.isTTY) {
      this.bar = new cliProgress.SingleBar({ format: `${who} [{bar}] {value}/{total} {step}`, hideCursor: true }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0, { step: "" });
    }
  }

  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t = Date.now();
    this.bar?.update(this.done, { step: label });
    const result = await fn();
    this.done++;
    if (this.bar) this.bar.update(this.done, { step: label });
    else console.log(`${this.who}: ${label} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    return result;
  }

  finish(): void {
    this.bar?.stop();
    console.log(`${this.who}: done in ${((Date.now() - this.started) / 1000).toFixed(1)}s`);
  }
}

/** Bytes of one transfer (ros os upgrade's download): a bar on a terminal, a line per 10% otherwise. */
export class Transfer {
  private bar?: cliProgress.SingleBar;
  private shown = -1;

  constructor(private readonly who: string, private readonly total?: number) {
    if (process.stdout.isTTY) {
      this.bar = new cliProgress.SingleBar({ format: `${who} [{bar}] {percentage}% {mib} MiB`, hideCursor: true }, cliProgress.Presets.shades_classic);
      this.bar.start(total ?? 1, 0, { mib: "0" });
    }
  }

  update(bytes: number): void {
    const mib = (bytes / 2 ** 20).toFixed(1);
    if (this.bar) return this.bar.update(this.total ? bytes : 0, { mib });
    const tenth = this.total ? Math.floor((bytes / this.total) * 10) : Math.floor(bytes / (16 * 2 ** 20));
    if (tenth === this.shown) return;
    this.shown = tenth;
    console.log(`${this.who}: ${mib} MiB${this.total ? ` of ${(this.total / 2 ** 20).toFixed(1)} MiB` : ""}`);
  }

  finish(): void {
    this.bar?.stop();
  }
}
