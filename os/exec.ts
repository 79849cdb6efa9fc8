// Runs a real system tool and fails loudly with its stderr; used by the build and by the guest.
import { spawn, type SpawnOptions } from "node:child_process";

export interface RunResult { stdout: string; stderr: string }

export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // stdin is a pipe even without input: "ignore" opens /dev/null, which PID 1 lacks until /dev is mounted.
    const child = spawn(cmd, args, { ...opts, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${signal ?? code}): ${stderr.trim().slice(-2000)}`));
    });
    // A tool may exit before reading all its input; its exit code is what counts.
    child.stdin!.on("error", () => {});
    child.stdin!.end(opts.input ?? "");
  });
}
