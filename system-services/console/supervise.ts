// Keeps a console process running: respawn on exit, with a backoff so a crash loop stays cheap.
import { spawn, type ChildProcess } from "node:child_process";
import { log } from "../../os/log.ts";

const MAX_BACKOFF_MS = 30_000;

export class Supervisor {
  private children = new Set<ChildProcess>();
  private stopping = false;

  /** `newSession`: start the process as a session leader, which a getty must be to own its tty. */
  run(name: string, cmd: string, args: string[], newSession = false): void {
    let backoff = 1000;
    const start = () => {
      if (this.stopping) return;
      const started = Date.now();
      const child = spawn(cmd, args, { stdio: "inherit", detached: newSession });
      this.children.add(child);
      child.on("error", (e) => log("console", `${name}: ${e.message}`));
      child.on("close", (code, signal) => {
        this.children.delete(child);
        if (this.stopping) return;
        // A process that ran a while earned a fast restart (a logout, not a crash loop).
        backoff = Date.now() - started > 60_000 ? 1000 : Math.min(backoff * 2, MAX_BACKOFF_MS);
        log("console", `${name} exited (${signal ?? code}); restarting in ${backoff / 1000}s`);
        setTimeout(start, backoff);
      });
    };
    start();
  }

  stop(): void {
    this.stopping = true;
    for (const c of this.children) c.kill("SIGTERM");
  }
}
