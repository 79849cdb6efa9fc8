// Docker daemons and their API clients (dockerode; never the docker CLI).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Docker from "dockerode";

/** Resolves when the daemon answers a ping, or rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForDocker(docker: Docker, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await docker.ping();
      return;
    } catch (e) {
      if (!alive()) throw new Error("dockerd exited before it was ready");
      if (Date.now() > until) throw new Error(`dockerd not ready after ${timeoutMs / 1000}s: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface DockerdOptions {
  socket: string;
  /** Everything but --host: data root, exec root, pidfile, bridge… */
  args: string[];
  /** dockerd's stdout and stderr are appended here. */
  log: string;
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs: number;
}

export interface Dockerd { docker: Docker; process: ChildProcess }

/** Starts a dockerd listening on `socket` and resolves once it answers. */
export async function startDockerd(o: DockerdOptions): Promise<Dockerd> {
  mkdirSync(dirname(o.log), { recursive: true });
  const out = openSync(o.log, "a");
  const child = spawn("dockerd", [`--host=unix://${o.socket}`, ...o.args], { stdio: ["ignore", out, out], env: o.env ?? process.env });
  let exited = false;
  child.on("exit", () => (exited = true));
  const docker = new Docker({ socketPath: o.socket });
  await waitForDocker(docker, o.readyTimeoutMs, () => !exited);
  return { docker, process: child };
}
