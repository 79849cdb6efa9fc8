// Hosts for a Docker Swarm on this machine: a dockerd per host, each in a network namespace of its
// own, whose eth0 is a veth pair to a bridge in a hub namespace. Each host has a ROS_ROOT tree with
// the user Docker's socket where `ros` looks for it. Every name starts with the caller's prefix, so
// two suites never share a namespace.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { waitForDocker } from "../../os/docker.ts";
import { run } from "../../os/exec.ts";
import { unmountUnder } from "./dockerd.ts";

export interface SwarmHost {
  name: string;
  ns: string;
  /** The hub's end of its cable: `ip -n HUB link set CABLE down` unplugs it. */
  cable: string;
  addr: string;
  root: string;
  docker: Docker;
  dockerd?: ChildProcess;
}

export interface SwarmLab { hub: string; hosts: SwarmHost[]; tmp: string; up(): Promise<void>; down(): Promise<void> }

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  let last: unknown;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
  }
  return assert.fail(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ""}`);
}

/** `count` hosts `PREFIX-n1…` at `SUBNET.1…` (a /24), not yet started. */
export function swarmLab(prefix: string, subnet: string, count = 3): SwarmLab {
  const tmp = mkdtempSync(join(tmpdir(), `corral-${prefix}-`));
  const hub = `${prefix}-hub`;
  const bridge = `${prefix}-br`;
  const namespaces: string[] = [];
  const hosts: SwarmHost[] = Array.from({ length: count }, (_, k) => {
    const root = join(tmp, `n${k + 1}`);
    return { name: `n${k + 1}`, ns: `${prefix}-n${k + 1}`, cable: `${prefix}-h${k + 1}`, addr: `${subnet}.${k + 1}`, root, docker: new Docker({ socketPath: join(root, "var/run/user-docker/docker.sock") }) };
  });
  async function netns(name: string): Promise<void> {
    await run("ip", ["netns", "del", name]).catch(() => {});
    await run("ip", ["netns", "add", name]);
    namespaces.push(name);
    await run("ip", ["-n", name, "link", "set", "lo", "up"]);
  }
  return {
    hub,
    hosts,
    tmp,
    async up() {
      await netns(hub);
      await run("ip", ["-n", hub, "link", "add", bridge, "type", "bridge"]);
      await run("ip", ["-n", hub, "link", "set", bridge, "up"]);
      for (const h of hosts) {
        await netns(h.ns);
        await run("ip", ["link", "add", "eth0", "netns", h.ns, "type", "veth", "peer", "name", h.cable, "netns", hub]);
        await run("ip", ["-n", hub, "link", "set", h.cable, "master", bridge, "up"]);
        await run("ip", ["-n", h.ns, "addr", "add", `${h.addr}/24`, "dev", "eth0"]);
        await run("ip", ["-n", h.ns, "link", "set", "eth0", "up"]);
      }
      await Promise.all(hosts.map(startHostDockerd));
    },
    async down() {
      await Promise.all(hosts.map((h) => stopHostDockerd(h).catch(() => {})));
      for (const h of hosts) await unmountUnder(h.root).catch(() => {});
      for (const ns of namespaces.reverse()) await run("ip", ["netns", "del", ns]).catch(() => {});
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * dockerd in the host's network namespace only: nsenter, not `ip netns exec`, whose fresh /sys
 * hides the cgroup mounts ("failed to start daemon: Devices cgroup isn't mounted"). Its bridge and
 * iptables rules are the namespace's own, gone with it.
 */
export async function startHostDockerd(h: SwarmHost): Promise<void> {
  const d = join(h.root, "docker");
  mkdirSync(join(h.root, "var/run/user-docker"), { recursive: true });
  mkdirSync(d, { recursive: true });
  const out = join(d, "dockerd.log");
  writeFileSync(out, "");
  const child = spawn("nsenter", [`--net=/run/netns/${h.ns}`, "dockerd", `--host=unix://${join(h.root, "var/run/user-docker/docker.sock")}`, `--data-root=${join(d, "data")}`, `--exec-root=${join(d, "exec")}`, `--pidfile=${join(d, "dockerd.pid")}`, "--storage-driver=overlay2"], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (b) => writeFileSync(out, b, { flag: "a" }));
  h.dockerd = child;
  await waitForDocker(h.docker, 30_000, () => child.exitCode === null);
}

/** Stops the host's dockerd by its PID (SIGTERM; SIGKILL after 20 s). */
export async function killHostDockerd(h: SwarmHost): Promise<void> {
  const child = h.dockerd;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  if (!(await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]))) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Out of the swarm, its containers removed, then stopped: so it stops at once. */
export async function stopHostDockerd(h: SwarmHost): Promise<void> {
  if (!h.dockerd || h.dockerd.exitCode !== null || h.dockerd.signalCode !== null) return;
  await h.docker.swarmLeave({ force: true }).catch(() => {});
  for (const c of await h.docker.listContainers({ all: true }).catch(() => [])) await h.docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  await killHostDockerd(h);
}
