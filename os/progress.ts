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
