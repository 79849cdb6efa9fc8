// The `docker` system service, run by the runner on a real system Docker under a ROS_ROOT tree:
// the user Docker answers at /var/run/docker.sock, runs the user's containers and user-scope
// services, and none of them can reach the system Docker's socket whatever they ask to bind.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";

// ROS_ROOT must be set before anything loads os/paths.ts: every module that does is imported below.
const root = mkdtempSync(join(tmpdir(), "corral-root-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { up } = await import("../../os/services/runner.ts");
const { engines } = await import("../../os/services/engines.ts");
const { toServices } = await import("../../os/services/service.ts");
const { BUSYBOX, cleanupHost, dockerService, osConfig, prepareHost, sh } = await import("./user-docker-host.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");
assert.ok(paths.userDockerSock.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.userDockerSock}`);

const T0 = Date.now();
const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(1)} s`;

const userService: ServiceConfig = {
  image: BUSYBOX,
  command: ["sleep", "3600"],
  // The user Docker here has no bridge (see user-docker-host.ts).
  net: "none",
  labels: { "io.rancher.os.scope": "user" },
};

const dockerdDir = mkdtempSync(join(tmpdir(), "corral-dockerd-"));
let system: Awaited<ReturnType<typeof prepareHost>> | undefined;
let user: Docker;
const timings: Record<string, string> = {};

before(async () => {
  system = await prepareHost(dockerdDir);
  timings.imageLoaded = elapsed();
});

after(async () => {
  await cleanupHost(system, dockerdDir);
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
