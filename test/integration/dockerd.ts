// A private dockerd for a test: its own socket, data root, exec root and pidfile, no bridge and no
// iptables rules (nothing to clean up on the host), stopped by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { waitForDocker } from "../../os/docker.ts";

export interface TestDockerd { docker: Docker; socket: string; stop(): Promise<void> }

export async function startDockerd(dir: string): Promise<TestDockerd> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "docker.sock");
  const log = openSync(join(dir, "dockerd.log"), "a");
  const child: ChildProcess = spawn(
    "dockerd",
    [`--host=unix://${socket}`, `--data-root=${join(dir, "data")}`, `--exec-root=${join(dir, "exec")}`, `--pidfile=${join(dir, "dockerd.pid")}`, "--bridge=none", "--iptables=false", "--storage-driver=overlay2"],
    { stdio: ["ignore", log, log] },
  );
  let exited = false;
  child.on("exit", () => (exited = true));
  const docker = new Docker({ socketPath: socket });
  await waitForDocker(docker, 30_000, () => !exited);
  return {
    docker,
    socket,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
