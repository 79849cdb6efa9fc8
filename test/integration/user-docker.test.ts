// The `docker` system service, run by the runner on a real system Docker under a ROS_ROOT tree:
// the user Docker answers at /var/run/docker.sock, runs the user's containers and user-scope
// services, and none of them can reach the system Docker's socket whatever they ask to bind.
import assert from "node:assert/strict";
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import Docker from "dockerode";
import { parse } from "yaml";
import { version } from "../../build/bundle.ts";
import { ARTIFACTS } from "../../build/image.ts";
import { osConfigText } from "../../build/os-config.ts";
import { loadImageArchive } from "../../os/load-image.ts";
import type { CloudConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";

// ROS_ROOT must be set before anything loads os/paths.ts: every module that does is imported below.
const root = mkdtempSync(join(tmpdir(), "corral-root-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { up } = await import("../../os/services/runner.ts");
const { logText } = await import("../../os/services/log-frames.ts");
const { engines } = await import("../../os/services/engines.ts");
const { toServices } = await import("../../os/services/service.ts");
const { linkUserDockerSocket } = await import("../../system-services/docker/socket.ts");
const { startTestDockerd, unmountUnder } = await import("./dockerd.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");
assert.ok(paths.userDockerSock.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.userDockerSock}`);

const IMAGE_TAR = join(ARTIFACTS.images, "os-docker.tar");
const BUSYBOX = "corral-test/busybox:1";
const T0 = Date.now();
const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(1)} s`;

/** The image defaults as the build makes them, with the `docker` service from its service.yml. */
function osConfig(): CloudConfig {
  const text = osConfigText(version());
  mkdirSync(dirname(paths.osConfig), { recursive: true });
  writeFileSync(paths.osConfig, text);
  return parse(text) as CloudConfig;
}

function dockerService(config: CloudConfig): ServiceConfig {
  const def = structuredClone(config.rancher!.services!.docker!);
  // This machine has no kernel modules folder; a bind would make Docker create one on the host.
  if (!existsSync("/lib/modules")) def.volumes = def.volumes!.filter((v) => !v.startsWith("/lib/modules:"));
  return def;
}

const userService: ServiceConfig = {
  image: BUSYBOX,
  command: ["sleep", "3600"],
  // The user Docker here has no bridge (see the config below).
  net: "none",
  labels: { "io.rancher.os.scope": "user" },
};

/** The test's user Docker stays off the machine's network: no bridge, no iptables rules. */
function writeUserConfig(): void {
  mkdirSync(paths.confDir, { recursive: true });
  writeFileSync(paths.cloudConfig, "rancher:\n  docker:\n    bridge: none\n    iptables: false\n", { mode: 0o600 });
  // The host's resolv.conf, which the docker service binds: init makes it before services start.
  mkdirSync(dirname(paths.resolvConf), { recursive: true });
  writeFileSync(paths.resolvConf, "nameserver 127.0.0.1\n");
}

/** Runs a busybox shell command in a throwaway container on `docker`: its exit code and output. */
async function sh(docker: Docker, script: string, binds: string[]): Promise<{ code: number; out: string }> {
  const c = await docker.createContainer({ Image: BUSYBOX, Cmd: ["sh", "-c", script], HostConfig: { Binds: binds, NetworkMode: "none" } });
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

const dockerdDir = mkdtempSync(join(tmpdir(), "corral-dockerd-"));
let system: Awaited<ReturnType<typeof startTestDockerd>> | undefined;
let user: Docker;
const timings: Record<string, string> = {};

before(async () => {
  assert.ok(existsSync(IMAGE_TAR), `${IMAGE_TAR} is missing: build the images first (npm run build:image)`);
  system = await startTestDockerd(dockerdDir);
  // The system Docker's socket where the host has it, so the test can show it stays out of reach.
  mkdirSync(dirname(paths.systemDockerSock), { recursive: true });
  linkSync(system.socket, paths.systemDockerSock);
  await loadImageArchive(system.docker, IMAGE_TAR);
  timings.imageLoaded = elapsed();
  writeUserConfig();
  // What init's mounts stage does on a booted host.
  linkUserDockerSocket();
});

after(async () => {
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
  await unmountUnder(root);
  rmSync(dockerdDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
  console.log(`user-docker timings: ${JSON.stringify({ ...timings, total: elapsed() })}`);
});

test("the docker service brings up the user Docker at /var/run/docker.sock", async () => {
  const services = toServices({ docker: dockerService(osConfig()) });
  const log: string[] = [];
  const outcomes = await up(services, engines(system!.docker, paths.userDockerSock, 60_000), { log: (l) => log.push(l) });
  assert.deepEqual(outcomes.map((o) => [o.name, o.result]), [["docker", "started"]], log.join("\n"));
  const started = await system!.docker.getContainer("docker").inspect();
  assert.deepEqual([started.Path, ...started.Args], ["/usr/bin/ros", "docker-init"]);
  user = await engines(system!.docker, paths.userDockerSock, 60_000).user();
  timings.userDockerAnswers = elapsed();
  const info = await user.info();
  assert.equal(info.DockerRootDir, "/var/lib/docker");
  // Its data lives on the host, under the tree's /var/lib/docker.
  assert.ok(existsSync(join(paths.userDockerRoot, info.Driver)), `no ${info.Driver} folder in ${paths.userDockerRoot}`);
  assert.equal(statSync(join(paths.userDockerRun, "docker.sock")).isSocket(), true);
  // rancher.docker reached dockerd: no bridge (nothing made on this machine's network).
  assert.deepEqual((await user.listNetworks()).map((n) => n.Name).sort(), ["host", "none"]);
});

test("the health check follows the daemon", async () => {
  const c = system!.docker.getContainer("docker");
  const until = Date.now() + 60_000;
  let health = (await c.inspect()).State.Health?.Status;
  while (health !== "healthy" && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    health = (await c.inspect()).State.Health?.Status;
  }
  assert.equal(health, "healthy");
  timings.healthy = elapsed();
  // The probe fails where dockerd does not answer: the same command against a socket nobody serves.
  const probe = (await c.inspect()).Config.Healthcheck!.Test!.slice(1);
  const exec = await c.exec({ Cmd: probe, Env: ["DOCKER_SOCK=/nonexistent.sock"], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise((r) => stream.on("end", r).resume());
  assert.equal((await exec.inspect()).ExitCode, 1);
});

test("a user container runs on the user Docker, not the system one", async () => {
  await importBusybox(user, BUSYBOX);
  const r = await sh(user, "echo hello from user-docker", []);
  assert.deepEqual(r, { code: 0, out: "hello from user-docker" });
  timings.firstUserContainer = elapsed();
  assert.equal((await system!.docker.listImages()).some((i) => i.RepoTags?.includes(BUSYBOX)), false);
});

test("user containers cannot reach the system Docker's socket, whatever they bind", async () => {
  // On the host it is there: a docker service that bound /var/run whole would hand it out.
  assert.equal(statSync(paths.systemDockerSock).isSocket(), true);
  // What the user Docker's /var/run and / hold (a bind of a missing path would create it: list first).
  const seen = await sh(user, "ls -a /b/run; echo ---; ls -a /b/root/var/run", ["/var/run:/b/run:ro", "/:/b/root:ro"]);
  assert.equal(seen.code, 0, seen.out);
  const [run, rootRun] = seen.out.split(" | --- | ").map((l) => l.split(" | "));
  assert.ok(run!.includes("user-docker") && run!.includes("docker.sock"), `the user Docker's /var/run: ${seen.out}`);
  assert.ok(!run!.includes("system-docker.sock") && !rootRun!.includes("system-docker.sock"), seen.out);
  // Asking for the socket by its name gets an empty folder made for the occasion.
  const tries = await sh(user, "for p in /b/sock /b/user.sock; do [ -S $p ] && echo $p socket || echo $p none; done", ["/var/run/system-docker.sock:/b/sock", "/var/run/docker.sock:/b/user.sock"]);
  assert.equal(tries.code, 0, tries.out);
  // The usual `-v /var/run/docker.sock:…` gets the user Docker's own socket.
  assert.equal(tries.out, "/b/sock none | /b/user.sock socket");
});

test("up() starts a user-scope service on the user Docker once the docker service is healthy", async () => {
  const services = toServices({ docker: dockerService(osConfig()), "user-sleeper": userService });
  const log: string[] = [];
  const outcomes = await up(services, engines(system!.docker, paths.userDockerSock, 60_000), { log: (l) => log.push(l) });
  const byName = Object.fromEntries(outcomes.map((o) => [o.name, o.result]));
  assert.deepEqual(byName, { docker: "running", "user-sleeper": "started" }, log.join("\n"));
  assert.equal((await user.getContainer("user-sleeper").inspect()).State.Running, true);
  await assert.rejects(system!.docker.getContainer("user-sleeper").inspect(), /no such container/i);
  timings.userService = elapsed();
});

test("stopping the service stops dockerd cleanly, and the user's containers with it", async () => {
  // The user Docker shares the host's PIDs, so its containers' PIDs are the host's.
  const sleeper = (await user.getContainer("user-sleeper").inspect()).State.Pid;
  assert.ok(sleeper > 0 && existsSync(`/proc/${sleeper}`));
  const c = system!.docker.getContainer("docker");
  const t = Date.now();
  await c.stop({ t: 30 });
  timings.serviceStop = `${((Date.now() - t) / 1000).toFixed(1)} s`;
  // 0: dockerd got the SIGTERM through ros docker-init and shut down, rather than being killed.
  assert.equal((await c.inspect()).State.ExitCode, 0);
  assert.equal(existsSync(`/proc/${sleeper}`), false, "the user container outlived the user Docker");
});
