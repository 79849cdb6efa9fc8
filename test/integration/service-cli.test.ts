// `ros service …` as a user runs it: the real bundle in child processes, against a ROS_ROOT tree
// whose system Docker is a real dockerd, with a catalog in a local folder and one served over HTTP
// on loopback.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { parse } from "yaml";
import { ARTIFACTS } from "../../build/image.ts";
import { startTestDockerd } from "./dockerd.ts";
import { privateBundle } from "./private-bundle.ts";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { loadImageArchive } from "../../os/load-image.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-service-cli-"));
const root = join(scratch, "root");
const ROS = await privateBundle(scratch);
const dockerd = await startTestDockerd(join(scratch, "dockerd"));
await importBusybox(dockerd.docker, "local/bb:1");
// The console switch runs `ros` in the image's own base image.
await loadImageArchive(dockerd.docker, join(ARTIFACTS.images, "os-base.tar"));
mkdirSync(join(root, "var/run"), { recursive: true });
symlinkSync(dockerd.socket, join(root, "var/run/system-docker.sock"));

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const entry = (name: string, command: string) => `${name}:\n  image: local/bb:1\n  command: ["sh", "-c", ${JSON.stringify(command)}]\n  environment: [GREETING]\n  labels:\n    io.rancher.os.scope: system\n`;
// A folder catalog, and an HTTP one whose files live only on the server.
const local = join(scratch, "local-catalog");
write(join(local, "index.yml"), "services: [hello]\nconsoles: [alt]\nengines: [fake-engine]\n");
// A console is whatever runs as the `console` service; this one shows the keys it finds in /home.
const console = (name: string, image: string) => `console:\n  image: ${image}\n  command: ["sh", "-c", "echo ${name} console; cat /home/rancher/.ssh/authorized_keys; sleep 600"]\n  volumes: [/home:/home]\n  labels:\n    io.rancher.os.scope: system\n`;
write(join(local, "a/alt.yml"), console("alt", "local/bb:1"));
write(join(local, "f/fake-engine.yml"), "docker:\n  image: local/bb:1\n  command: [sleep, \"600\"]\n  labels:\n    io.rancher.os.scope: system\n");
write(join(local, "h/hello.yml"), entry("hello", "echo hello from $$GREETING; sleep 600"));
const served: Record<string, string> = { "/index.yml": "services: [web-echo]\n", "/w/web-echo.yml": entry("web-echo", "echo served; sleep 600") };
let down = false;
const server = createServer((req, res) => {
  if (down) return void res.writeHead(503).end("down for maintenance");
  const body = served[req.url ?? ""];
  res.writeHead(body ? 200 : 404).end(body ?? "not found");
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
write(join(root, "home/rancher/.ssh/authorized_keys"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeptAcrossSwitches rancher@corral\n");
write(join(root, "var/lib/rancher/conf/cloud-config.yml"), `rancher:\n  services:\n${console("first", "local/bb:1").replace(/^/gm, "    ")}\n  environment:\n    GREETING: corral\n  repositories:\n    mine:\n      url: ${local}\n    remote:\n      url: ${url}\n`);

after(async () => {
  server.close();
  for (const c of await dockerd.docker.listContainers({ all: true })) await dockerd.docker.getContainer(c.Id).remove({ force: true });
  await dockerd.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Run { status: number; stdout: string; stderr: string }
const ros = (...args: string[]) =>
  new Promise<Run>((resolve) => {
    execFile(process.execPath, [ROS, ...args], { env: { ...process.env, ROS_ROOT: root }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
const ok = async (...args: string[]) => {
  const r = await ros(...args);
  assert.equal(r.status, 0, `ros ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r;
};
const include = () => (parse(readFileSync(join(root, "var/lib/rancher/conf/cloud-config.yml"), "utf8")) as { rancher: { services_include?: Record<string, boolean> } }).rancher.services_include;

test("list shows both catalogs' services, disabled until enabled", async () => {
  const r = await ok("service", "list");
  assert.match(r.stdout, /^disabled\s+hello \(mine\)$/m);
  assert.match(r.stdout, /^disabled\s+web-echo \(remote\)$/m);
});

test("enable from a folder catalog and from an HTTP catalog; up starts them with rancher.environment", async () => {
  await ok("service", "enable", "hello");
  await ok("service", "enable", "web-echo");
  assert.deepEqual(include(), { hello: true, "web-echo": true });
  assert.match((await ok("service", "list")).stdout, /^enabled\s+hello \(mine\)$/m);
  const r = await ok("service", "up", "hello", "web-echo");
  assert.match(r.stdout, /^hello: started$/m);
  assert.match(r.stdout, /^web-echo: started$/m);
  await new Promise((res) => setTimeout(res, 1000));
  assert.match((await ok("service", "logs", "hello")).stdout, /hello from corral/);
  assert.equal((await ok("service", "up", "hello")).stdout.trim(), "hello: running", "unchanged: kept as it is");
});

test("the HTTP catalog's cached copy serves when the server is gone", async () => {
  down = true;
  try {
    const r = await ok("service", "list", "-u");
    assert.match(r.stdout, /web-echo \(remote\)/);
    assert.match(r.stderr, /cannot be reached.*using the copy cached/);
  } finally {
    down = false;
  }
});

test("ps shows state, health and restarts of every service", async () => {
  await new Promise((res) => setTimeout(res, 5500));
  const r = await ok("service", "ps");
  assert.match(r.stdout, /^NAME\s+SCOPE\s+KIND\s+STATE\s+HEALTH\s+RESTARTS/);
  assert.match(r.stdout, /^hello\s+system\s+long-running\s+running\s+healthy\s+0\s/m);
  const json = JSON.parse((await ok("service", "ps", "-o", "json")).stdout) as { name: string; state: string }[];
  assert.equal(json.find((s) => s.name === "web-echo")?.state, "running");
});

test("stop, start, restart and rm act on the service's container", async () => {
  await ok("service", "stop", "-t", "1", "hello");
  assert.equal((await dockerd.docker.getContainer("hello").inspect()).State.Running, false);
  const again = await ros("service", "stop", "-t", "1", "hello");
  assert.equal(again.status, 1);
  assert.match(again.stderr, /hello is already stopped/);
  await ok("service", "start", "hello");
  const started = (await dockerd.docker.getContainer("hello").inspect()).State.StartedAt;
  await ok("service", "restart", "hello");
  assert.notEqual((await dockerd.docker.getContainer("hello").inspect()).State.StartedAt, started);
  await ok("service", "rm", "-f", "hello");
  const gone = await ros("service", "logs", "hello");
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /hello has no container/);
});

test("mistakes are named: unknown services with a suggestion, a name no catalog has", async () => {
  const typo = await ros("service", "up", "helo");
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /no service named helo in the config; did you mean hello\?/);
  const none = await ros("service", "enable", "nothing-like-it");
  assert.equal(none.status, 1);
  assert.match(none.stderr, /nothing-like-it/);
  assert.deepEqual(include(), { hello: true, "web-echo": true }, "nothing was written");
});

test("disable turns a service off; delete forgets it and removes its containers", async () => {
  await ok("service", "disable", "hello");
  assert.deepEqual(include(), { hello: false, "web-echo": true });
  await ok("service", "delete", "web-echo");
  assert.deepEqual(include(), { hello: false });
  await assert.rejects(dockerd.docker.getContainer("web-echo").inspect(), /no such container/i);
});

test("console switch replaces the console container; the user's home and keys stay", async () => {
  await ok("service", "up", "console");
  assert.match((await ok("console", "list")).stdout, /^disabled alt \(mine\)$/m);
  const r = await ok("console", "switch", "-f", "alt");
  assert.match(r.stdout, /switching to console alt/);
  assert.match(r.stdout, /console: started \(recreated\)/);
  const c = await dockerd.docker.getContainer("console").inspect();
  assert.equal(c.State.Running, true);
  assert.deepEqual(c.Config.Cmd.at(-1)!.split(";")[0], "echo alt console");
  await new Promise((res) => setTimeout(res, 1000));
  const logs = (await ok("service", "logs", "console")).stdout;
  assert.match(logs, /alt console\n.*AAAAIKeptAcrossSwitches/s);
  assert.match((await ok("console", "list")).stdout, /^current  alt \(mine\)$/m);
  await assert.rejects(dockerd.docker.getContainer("ros-service-up").inspect(), /no such container/i, "the switcher is gone");
  const typo = await ros("console", "switch", "-f", "alz");
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /did you mean "alt"/);
});

test("engine switch replaces the docker service from the catalog", async () => {
  const r = await ok("engine", "switch", "-f", "fake-engine");
  assert.match(r.stdout, /engine fake-engine: docker started/);
  assert.deepEqual((await dockerd.docker.getContainer("docker").inspect()).Config.Cmd, ["sleep", "600"]);
  assert.match((await ok("engine", "list")).stdout, /^current  fake-engine \(mine\)$/m);
});
