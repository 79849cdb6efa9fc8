// A private dockerd for a test: its own socket, data root, exec root and pidfile, no bridge and no
// iptables rules (nothing to clean up on the host), stopped by PID.
import { join } from "node:path";
import type Docker from "dockerode";
import { startDockerd } from "../../os/docker.ts";

export interface TestDockerd { docker: Docker; socket: string; stop(): Promise<void> }

export async function startTestDockerd(dir: string): Promise<TestDockerd> {
  const socket = join(dir, "docker.sock");
  const { docker, process: child } = await startDockerd({
    socket,
    args: [`--data-root=${join(dir, "data")}`, `--exec-root=${join(dir, "exec")}`, `--pidfile=${join(dir, "dockerd.pid")}`, "--bridge=none", "--iptables=false", "--storage-driver=overlay2"],
    log: join(dir, "dockerd.log"),
    readyTimeoutMs: 30_000,
  });
  return {
    docker,
    socket,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
