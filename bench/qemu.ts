// One QEMU run for the bench: the same settings as build/vm.ts (qemuArgs), a clock that starts when
// QEMU is spawned, and a guarantee that no QEMU outlives the bench, whatever happens.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";

const live = new Set<ChildProcess>();

function killLive(): void {
  for (const p of live) p.kill("SIGKILL");
}
// Ctrl-C or a crash of the bench must not leave a TCG guest burning both host CPUs.
process.on("exit", killLive);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killLive();
    process.exit(130);
  });
}

export class Qemu {
  readonly process: ChildProcess;
  readonly t0: number;
  exitCode?: number | null;
  exitMs?: number;
  private stderr = "";

  constructor(readonly args: string[], serial: string) {
    rmSync(serial, { force: true });
    this.t0 = performance.now();
    this.process = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
    live.add(this.process);
    this.process.stderr!.on("data", (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.process.on("error", (e) => {
      this.stderr += `\nspawn: ${e.message}`;
      this.onExit(null);
    });
    this.process.on("exit", (code) => this.onExit(code));
  }

  private onExit(code: number | null): void {
    if (this.exitCode !== undefined) return;
    this.exitMs = this.elapsed();
    this.exitCode = code;
    live.delete(this.process);
  }

  /** Milliseconds since QEMU was spawned. */
  elapsed(): number {
    return performance.now() - this.t0;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get stderrTail(): string {
    return this.stderr.trim();
  }

  async waitExit(timeoutMs: number): Promise<number | null> {
    const until = performance.now() + timeoutMs;
    while (this.running) {
      if (performance.now() > until) throw new Error(`QEMU still running after ${Math.round(timeoutMs / 1000)}s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.exitCode!;
  }

  kill(): void {
    if (this.running) this.process.kill("SIGKILL");
  }
}
