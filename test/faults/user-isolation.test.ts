// A user container cannot reach the host API or the system Docker. On a ROS_ROOT tree the `docker`
// service runs the user Docker on a real system Docker, as on a host, and the host API listens on
// /var/run/corral.sock. Both answer from the host; from inside user containers (plain, binding the
// sockets and / by name, or sharing the host's PIDs) neither socket can be found or connected to.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type Docker from "dockerode";

const root = mkdtempSync(join(tmpdir(), "corral-faults-isolation-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { up } = await import("../../os/services/runner.ts");
const { engines } = await import("../../os/services/engines.ts");
const { toServices } = await import("../../os/services/service.ts");
const { Api } = await import("../../os/api/server.ts");
const { BUSYBOX, cleanupHost, dockerService, osConfig, prepareHost, sh } = await import("../integration/user-docker-host.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");

const dockerdDir = mkdtempSync(join(tmpdir(), "corral-faults-dockerd-"));
let system: Awaited<ReturnType<typeof prepareHost>> | undefined;
let api: InstanceType<typeof Api> | undefined;
let user: Docker;

/** GET `path` on a Unix socket: the HTTP status, or the error that kept it from answering. */
const get = (socketPath: string, path: string) =>
  new Promise<number | string>((resolve) => {
    request({ socketPath, path }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on("error", (e) => resolve(e.message)).end();
  });

before(async () => {
  system = await prepareHost(dockerdDir);
  api = new Api({ log: () => {}, apply: async () => [] });
  await api.listenUnix(paths.corralSocket);
  const outcomes = await up(toServices({ docker: dockerService(osConfig()) }), engines(system.docker, paths.userDockerSock, 60_000));
  assert.deepEqual(outcomes.map((o) => [o.name, o.result]), [["docker", "started"]], JSON.stringify(outcomes));
  user = await engines(system.docker, paths.userDockerSock, 60_000).user();
  await importBusybox(user, BUSYBOX);
});

after(async () => {
  await api?.close();
  await cleanupHost(system, dockerdDir);
  rmSync(root, { recursive: true, force: true });
});

/** Where the host keeps the two sockets (under ROS_ROOT here). */
const SOCKETS = [paths.corralSocket, paths.systemDockerSock];
/** The same paths as a booted host has them, which user containers would ask for. */
const HOST_PATHS = ["/var/run/corral.sock", "/var/run/system-docker.sock"];
/** In a container: what each path is ("socket", "directory", …) or why it cannot be looked at. */
const probe = (ps: string[]) => ps.map((p) => `echo "${p} $(stat -c %F ${p} 2>&1 | sed 's/.*: //')"`).join("; ");

test("from the host, both sockets answer: the checks below are not vacuous", async () => {
  for (const sock of SOCKETS) assert.equal(statSync(sock).isSocket(), true, sock);
  assert.equal(await get(paths.corralSocket, "/openapi.json"), 200);
  assert.equal(await get(paths.systemDockerSock, "/_ping"), 200);
  // The probe finds a socket that is there: the user Docker's own, bound the usual way.
  const own = await sh(user, probe(["/b/user.sock"]), ["/var/run/docker.sock:/b/user.sock"]);
  assert.deepEqual(own, { code: 0, out: "/b/user.sock socket" });
});

test("a user container finds neither socket where the host has them, nor by binding them or / by name", async () => {
  const plain = await sh(user, probe(HOST_PATHS), []);
  assert.deepEqual(plain.out.split(" | "), HOST_PATHS.map((p) => `${p} No such file or directory`));
  // Bind paths resolve in the user Docker's view of the host, which holds neither socket: the
  // folders bound whole do not have them, and a bind by name gets an empty folder made for it (so
  // the folders are looked at first).
  const whole = ["/b/run", "/b/root/var/run"].flatMap((d) => HOST_PATHS.map((p) => p.replace("/var/run", d)));
  const listed = await sh(user, probe(whole), ["/var/run:/b/run:ro", "/:/b/root:ro"]);
  assert.deepEqual(listed.out.split(" | "), whole.map((p) => `${p} No such file or directory`), listed.out);
  const named = await sh(user, probe(["/b/api.sock", "/b/sys.sock"]), [`${HOST_PATHS[0]}:/b/api.sock`, `${HOST_PATHS[1]}:/b/sys.sock`]);
  assert.deepEqual(named.out.split(" | "), ["/b/api.sock directory", "/b/sys.sock directory"], named.out);
});

test("a user container sharing the host's PIDs cannot reach them through another process's root", async () => {
  // /proc/PID/root leads into another process's mount namespace; without CAP_SYS_PTRACE it is refused.
  const owners = [1, Number(readFileSync(join(dockerdDir, "dockerd.pid"), "utf8"))];
  const through = owners.flatMap((pid) => SOCKETS.map((s) => `/proc/${pid}/root${s}`));
  const r = await sh(user, `${probe(through)}; ls /proc/1/root/ >/dev/null 2>&1 && echo listed || echo denied`, [], { PidMode: "host" });
  assert.deepEqual(r.out.split(" | "), [...through.map((p) => `${p} Permission denied`), "denied"], r.out);
});
