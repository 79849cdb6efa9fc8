// A host tree as init leaves it for the `docker` service: a real dockerd as the system Docker, its
// socket where the host has it, the os-docker image loaded, rancher.docker keeping the user Docker
// off this machine's network, and /var/run/docker.sock linked. ROS_ROOT must be set before this
// module is imported (it loads os/paths.ts).
import assert from "node:assert/strict";
import { existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Docker from "dockerode";
import { parse } from "yaml";
import { version } from "../../build/bundle.ts";
import { ARTIFACTS } from "../../build/image.ts";
import { osConfigText } from "../../build/os-config.ts";
import type { CloudConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";
import { loadImageArchive } from "../../os/load-image.ts";
import { paths, ROS_ROOT } from "../../os/paths.ts";
import { logText } from "../../os/services/log-frames.ts";
import { linkUserDockerSocket } from "../../system-services/docker/socket.ts";
import { startTestDockerd, unmountUnder, type TestDockerd } from "./dockerd.ts";

export const IMAGE_TAR = join(ARTIFACTS.images, "os-docker.tar");
export const BUSYBOX = "corral-test/busybox:1";

/** The image defaults as the build makes them, with the `docker` service from its service.yml. */
export function osConfig(): CloudConfig {
  const text = osConfigText(version());
  mkdirSync(dirname(paths.osConfig), { recursive: true });
  writeFileSync(paths.osConfig, text);
  return parse(text) as CloudConfig;
}

export function dockerService(config: CloudConfig): ServiceConfig {
  const def = structuredClone(config.rancher!.services!.docker!);
  // This machine has no kernel modules folder; a bind would make Docker create one on the host.
  if (!existsSync("/lib/modules")) def.volumes = def.volumes!.filter((v) => !v.startsWith("/lib/modules:"));
  return def;
}

/** The test's user Docker stays off the machine's network: no bridge, no iptables rules. */
function writeUserConfig(): void {
  mkdirSync(paths.confDir, { recursive: true });
  writeFileSync(paths.cloudConfig, "rancher:\n  docker:\n    bridge: none\n    iptables: false\n", { mode: 0o600 });
  // The host's resolv.conf, which the docker service binds: init makes it before services start.
  mkdirSync(dirname(paths.resolvConf), { recursive: true });
  writeFileSync(paths.resolvConf, "nameserver 127.0.0.1\n");
}

/** Starts the system Docker in `dockerdDir` and lays out the tree; the docker service is the caller's to bring up. */
export async function prepareHost(dockerdDir: string): Promise<TestDockerd> {
  assert.ok(existsSync(IMAGE_TAR), `${IMAGE_TAR} is missing: build the images first (npm run build:image)`);
  const system = await startTestDockerd(dockerdDir);
  // The system Docker's socket where the host has it, so a test can show it stays out of reach.
  mkdirSync(dirname(paths.systemDockerSock), { recursive: true });
  linkSync(system.socket, paths.systemDockerSock);
  await loadImageArchive(system.docker, IMAGE_TAR);
  writeUserConfig();
  // What init's mounts stage does on a booted host.
  linkUserDockerSocket();
  return system;
}

/** Removes the user's containers, stops the docker service and the system Docker; unmounts what they left in the tree. */
export async function cleanupHost(system: TestDockerd | undefined, dockerdDir: string): Promise<void> {
  const userDocker = new Docker({ socketPath: paths.userDockerSock });
  for (const c of await userDocker.listContainers({ all: true }).catch(() => [])) await userDocker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  if (system) {
    // SIGTERM reaches dockerd through ros docker-init; it stops cleanly within the grace period.
    await system.docker.getContainer("docker").stop({ t: 30 }).catch(() => undefined);
    await system.docker.getContainer("docker").remove({ force: true }).catch(() => undefined);
    await system.stop();
  }
  // dockerd leaves its host network namespace mounted in its exec root.
  await unmountUnder(dockerdDir);
  await unmountUnder(ROS_ROOT);
  rmSync(dockerdDir, { recursive: true, force: true });
}

/** Runs a busybox shell command in a throwaway container on `docker`: its exit code and output. */
export async function sh(docker: Docker, script: string, binds: string[], host: Docker.HostConfig = {}): Promise<{ code: number; out: string }> {
  const c = await docker.createContainer({ Image: BUSYBOX, Cmd: ["sh", "-c", script], HostConfig: { Binds: binds, NetworkMode: "none", ...host } });
  try {
    const exited = c.wait({ condition: "next-exit" }) as Promise<{ StatusCode: number }>;
    await c.start();
    const { StatusCode } = await exited;
    const out = logText((await c.logs({ stdout: true, stderr: true })) as unknown as Buffer);
    return { code: StatusCode, out };
  } finally {
    await c.remove({ force: true });
  }
}
