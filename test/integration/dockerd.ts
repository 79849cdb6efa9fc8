// A private dockerd for a test: its own socket, data root, exec root and pidfile, and no iptables
// rules (nothing to clean up on the host), stopped by PID. With `bridge`, it gets a bridge of its
// own (created here, deleted on stop) so published ports work; without, no bridge at all.
import { join } from "node:path";
import type Docker from "dockerode";
import { startDockerd } from "../../os/docker.ts";
import { run } from "../../os/exec.ts";
import { unmountUnder } from "../../os/unmount.ts";

export { unmountUnder };

export interface TestDockerd { docker: Docker; socket: string; dir: string; stop(): Promise<void> }

export interface TestDockerdOptions { bridge?: { name: string; cidr: string } }

export async function startTestDockerd(dir: string, o: TestDockerdOptions = {}): Promise<TestDockerd> {
  const socket = join(dir, "docker.sock");
  if (o.bridge) {
    await run("ip", ["link", "del", o.bridge.name]).catch(() => undefined);
    await run("ip", ["link", "add", o.bridge.name, "type", "bridge"]);
    await run("ip", ["addr", "add", o.bridge.cidr, "dev", o.bridge.name]);
    await run("ip", ["link", "set", o.bridge.name, "up"]);
  }
  const { docker, process: child } = await startDockerd({
    socket,
    args: [`--data-root=${join(dir, "data")}`, `--exec-root=${join(dir, "exec")}`, `--pidfile=${join(dir, "dockerd.pid")}`, `--bridge=${o.bridge?.name ?? "none"}`, "--iptables=false", "--storage-driver=overlay2"],
    log: join(dir, "dockerd.log"),
    readyTimeoutMs: 30_000,
  });
  return {
    docker,
    socket,
    dir,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      if (o.bridge) await run("ip", ["link", "del", o.bridge.name]).catch(() => undefined);
      // dockerd leaves its default network namespace mounted under the exec root.
      await unmountUnder(dir);
    },
  };
}

/**
 * How long Docker paused between each death of `container` and its next start, in ms, from its own
 * events between two times (seconds): the restart policy's backoff as it happened.
 */
export async function restartPauses(docker: Docker, container: string, since: number, until: number): Promise<number[]> {
  const events = await docker.getEvents({ since, until, filters: { container: [container], event: ["start", "die"] } });
  const pauses: number[] = [];
  let died: number | undefined;
  for await (const chunk of events as unknown as AsyncIterable<Buffer>) {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      const e = JSON.parse(line) as { status: string; timeNano: number };
      if (e.status === "die") died = e.timeNano / 1e6;
      else if (died !== undefined) (pauses.push(e.timeNano / 1e6 - died), (died = undefined));
    }
  }
  return pauses;
}
