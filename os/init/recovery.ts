// When boot cannot go on, PID 1 must not exit (the kernel would panic): it gives the console a
// shell, and another when that one exits.
import { spawn } from "node:child_process";
import { log } from "../log.ts";

export function recoveryShell(reason: unknown): void {
  log("init", `FATAL: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  log("init", "dropping to a recovery shell; 'exit' starts a new one");
  const start = () => {
    const sh = spawn("/bin/sh", ["-l"], { stdio: "inherit", env: { ...process.env, PS1: "(recovery) # " } });
    sh.on("exit", () => setTimeout(start, 500));
    sh.on("error", (e) => {
      log("init", `no shell: ${e.message}`);
      setTimeout(start, 5000);
    });
  };
  start();
}
