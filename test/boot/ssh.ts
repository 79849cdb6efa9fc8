// SSH into a booted guest through QEMU's forwarded port, with the test's own key.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";

export interface SshTarget { port: number; key: string; user?: string }

const OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"];

export interface SshResult { code: number | null; stdout: string; stderr: string }

/** `input`: a file whose content is the command's stdin. */
export function ssh(t: SshTarget, command: string, extra: string[] = ["-o", "BatchMode=yes", "-i", t.key], input?: string): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = spawn("ssh", [...OPTS, ...extra, "-p", String(t.port), `${t.user ?? "rancher"}@127.0.0.1`, command], { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
    if (input) createReadStream(input).pipe(child.stdin!);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Retries until a key login runs `true`, or fails with the last error after `timeoutMs`. */
export async function waitForSsh(t: SshTarget, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: SshResult | undefined;
  while (Date.now() < until && alive()) {
    last = await ssh(t, "true");
    if (last.code === 0) return;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`no SSH login within ${timeoutMs / 1000}s: ${last?.stderr.trim() ?? "guest stopped"}`);
}

/** The authentication methods the server offers before any succeeds (from `ssh -v`). */
export async function offeredAuthMethods(t: SshTarget): Promise<string[]> {
  const r = await ssh(t, "true", ["-v", "-o", "BatchMode=yes", "-o", "PreferredAuthentications=none", "-o", "PubkeyAuthentication=no"]);
  const m = /Authentications that can continue: (\S+)/.exec(r.stderr);
  if (!m) throw new Error(`ssh -v did not list the authentication methods:\n${r.stderr.slice(-2000)}`);
  return m[1]!.split(",");
}
