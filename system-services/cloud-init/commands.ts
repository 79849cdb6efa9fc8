// bootcmd, runcmd and the user-data script: a string runs with `sh -c`, a list is exec'd as argv.
// A failing command is reported with its exit code and output; the next one runs regardless.
import { spawn } from "node:child_process";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import type { Reporter } from "./report.ts";

export type Command = NonNullable<CloudConfig["runcmd"]>[number];

/** The argv a command runs as; undefined for an empty list (a no-op, as RancherOS read it). */
export function commandArgv(cmd: Command): string[] | undefined {
  if (typeof cmd === "string") return ["sh", "-c", cmd];
  return cmd.length ? cmd : undefined;
}

/** How a command reads in the log and report: the shell line, or the argv as JSON. */
export const describeCommand = (cmd: Command) => (typeof cmd === "string" ? cmd : JSON.stringify(cmd));

const OUTPUT_TAIL = 2000;
const tail = (s: string) => (s.length > OUTPUT_TAIL ? `…${s.slice(-OUTPUT_TAIL)}` : s).trim();

/** How long output may trail the exit: a daemon started with `&` holds the pipes open for good. */
const OUTPUT_GRACE_MS = 300;

/** Runs argv to its exit; resolves with its output (stdout and stderr, interleaved), rejects with the exit code and output. */
export function runCommand(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: "/", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let done = false;
    // Read to the end even after the exit, so a daemon left behind never blocks on a full pipe.
    const collect = (d: Buffer) => (done ? undefined : (output += d));
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const finish = () => {
      if (done) return;
      done = true;
      const { exitCode: code, signalCode: signal } = child;
      if (code === 0) resolve(tail(output));
      else reject(new Error(`${signal ? `killed by ${signal}` : `exit code ${code}`}${output.trim() ? `; output: ${tail(output)}` : ""}`));
    };
    child.on("error", (e) => {
      done = true;
      reject(new Error(`cannot run ${argv[0]}: ${e.message}`));
    });
    child.on("exit", () => setTimeout(finish, OUTPUT_GRACE_MS));
    child.on("close", finish);
  });
}

/** Runs each command in turn, each one an action of the report. */
export async function runCommands(kind: "bootcmd" | "runcmd", commands: Command[], report: Reporter, env: NodeJS.ProcessEnv): Promise<void> {
  for (const [i, cmd] of commands.entries()) {
    const argv = commandArgv(cmd);
    if (argv) await report.step(`${kind} ${i + 1}: ${describeCommand(cmd)}`, () => runCommand(argv, env));
  }
}
