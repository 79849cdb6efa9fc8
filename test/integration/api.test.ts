// The host API as a client meets it: real HTTP on a real Unix socket (root only: a uid-65534
// child is refused by the kernel), real mutual TLS on TCP (clients without a certificate, or with
// one from another CA, are refused), a real PTY behind the WebSocket shell, and a real dockerd as
// the system Docker for the services and for applying a config change.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { bundleFile } from "../../build/bundle.ts";
import { REPO } from "../../build/cache.ts";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { startTestDockerd, type TestDockerd } from "./dockerd.ts";
import { collect, readUntil, type Reply } from "./http-reply.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-api-"));
// Others may walk to the socket, so only its own mode can refuse them.
chmodSync(scratch, 0o755);
const root = join(scratch, "root");
process.env.ROS_ROOT = root;
const { Api } = await import("../../os/api/server.ts");
const { paths } = await import("../../os/paths.ts");
const { tlsGen, TLS_FILES } = await import("../../os/api/tls.ts");
const { applyNextBoot } = await import("../../cloud-config/next-boot.ts");
const { applyServices } = await import("../../os/api/apply.ts");

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
write(paths.osConfig, "rancher:\n  services: {}\n");
mkdirSync(paths.varRun, { recursive: true, mode: 0o755 });
chmodSync(join(root, "var"), 0o755);
chmodSync(paths.varRun, 0o755);

const logged: string[] = [];
const log = (line: string) => logged.push(line);
const shell = async (): Promise<[string, string[]]> => ["/bin/sh", []];
// The runner itself, here; the agent hands `up` to a container of os-base (service-cli tests that hand-over).
const apply = () => applyServices({ delegate: false });
let api: InstanceType<typeof Api>;

before(async () => {
  api = new Api({ log, shell, apply });
  await api.listenUnix(paths.corralSocket);
});
after(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

function call(method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: paths.corralSocket, method, path, headers: { "content-type": raw === undefined ? "application/json" : "application/yaml" } }, (res) => collect(res).then(resolve, reject));
    req.on("error", reject);
    req.end(raw ?? (body === undefined ? undefined : JSON.stringify(body)));
  });
}

const cloudConfig = () => (existsSync(paths.cloudConfig) ? readFileSync(paths.cloudConfig, "utf8") : "");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the Unix socket", () => {
  test("is root's alone: mode 0600, owned by root, and a uid-65534 client is refused", async () => {
    const st = statSync(paths.corralSocket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.uid, 0);
    assert.equal((await call("GET", "/os/version")).status, 200);
    const probe = `require("net").connect(${JSON.stringify(paths.corralSocket)}).on("connect", () => { console.log("connected"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(0); })`;
    const asNobody = spawnSync("setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups", process.execPath, "-e", probe], { encoding: "utf8" });
    assert.equal(asNobody.status, 0, asNobody.stderr);
    assert.equal(asNobody.stdout.trim(), "EACCES");
    // The same child as root gets in: the refusal is the socket's mode, not the path.
    const asRoot = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
    assert.equal(asRoot.stdout.trim(), "connected");
  });

  test("every request is logged with the client", async () => {
    await call("GET", "/os/version?x=1");
    assert.ok(logged.some((l) => /^unix GET \/os\/version\?x=1 200 \d+ms$/.test(l)), logged.join("\n"));
  });
});

describe("the OpenAPI document", () => {
  const endpoints = [
    "GET /openapi.json",
    "GET /config",
    "PATCH /config",
    "POST /config/validate",
    "GET /config/try",
    "POST /config/try/confirm",
    "POST /config/try/revert",
    "GET /services",
    "POST /services/{name}/restart",
    "GET /services/{name}/logs",
    "GET /os/version",
    "GET /os/metrics",
    "POST /os/upgrade",
    "GET /shell",
  ];

  test("lists every endpoint the server routes, and nothing else", async () => {
    const r = await call("GET", "/openapi.json");
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, "3.0.3");
    const listed = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(listed.sort(), [...endpoints].sort());
    assert.deepEqual(api.routes.map((x) => `${x.method} ${x.path}`).sort(), [...endpoints].sort());
    for (const ops of Object.values(r.body.paths as Record<string, Record<string, { summary: string; operationId: string }>>)) for (const op of Object.values(ops)) assert.ok(op.summary && op.operationId);
  });

  test("each listed endpoint is served (the router knows it), and others are not", async () => {
    for (const e of endpoints) {
      const [method, path] = e.split(" ") as [string, string];
      const r = await call(method, path.replace("{name}", "nothing-here"), method === "GET" ? undefined : {});
      assert.doesNotMatch(String(r.body?.error ?? ""), /^no endpoint|is not served/, `${e}: ${r.text}`);
    }
    assert.equal((await call("GET", "/nowhere")).status, 404);
    assert.equal((await call("DELETE", "/config")).status, 405);
  });
});

describe("config", () => {
  test("get, validate (positioned diagnostics) and patch now; a change that adds an error is refused whole", async () => {
    const p = await call("PATCH", "/config", { mode: "now", config: { hostname: "api-host", rancher: { ssh: { port: 2222 } } } });
    assert.equal(p.status, 200, p.text);
    assert.ok(Array.isArray(p.body.applied));
    assert.match(cloudConfig(), /hostname: api-host/);
    assert.equal((await call("GET", "/config?key=rancher.ssh.port")).body.value, 2222);
    assert.equal((await call("GET", "/config?key=rancher.nothing")).status, 404);

    const v = await call("POST", "/config/validate", undefined, "#cloud-config\nrancher:\n  ssh:\n    port: many\n");
    assert.equal(v.status, 200);
    assert.equal(v.body.valid, false);
    assert.equal(v.body.diagnostics[0].line, 4);
    assert.match(v.body.diagnostics[0].text, /^request:4:\d+: /);
    assert.equal((await call("POST", "/config/validate", undefined, "hostname: fine\n")).body.valid, true);

    const before = cloudConfig();
    const bad = await call("PATCH", "/config", { mode: "now", config: { rancher: { ssh: { port: "many" } } } });
    assert.equal(bad.status, 422, bad.text);
    assert.ok(bad.body.details.length > 0);
    assert.equal(cloudConfig(), before);
    // null removes a key.
    assert.equal((await call("PATCH", "/config", { config: { hostname: null } })).status, 200);
    assert.doesNotMatch(cloudConfig(), /hostname/);
  });

  test("next-boot changes wait aside, and init writes them in", async () => {
    const before = cloudConfig();
    const r = await call("PATCH", "/config", { mode: "next-boot", config: { rancher: { ssh: { port: 2200 } } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(cloudConfig(), before);
    assert.equal((await call("GET", "/config/try")).body.nextBoot, 1);
    assert.deepEqual(applyNextBoot(), []);
    assert.equal((await call("GET", "/config?key=rancher.ssh.port")).body.value, 2200);
    assert.equal(existsSync(paths.nextBootConfig), false);
  });

  test("try: reverted by itself unless confirmed in time; a confirmed try stays", async () => {
    const before = cloudConfig();
    const t = await call("PATCH", "/config", { mode: "try", timeout: 1, config: { hostname: "trial" } });
    assert.equal(t.status, 200, t.text);
    assert.match(cloudConfig(), /hostname: trial/);
    assert.equal((await call("GET", "/config/try")).body.try.id, t.body.try);
    // A second change during the trial is refused: it would be reverted with it.
    assert.equal((await call("PATCH", "/config", { mode: "now", config: { hostname: "other" } })).status, 409);
    await sleep(1600);
    assert.equal(cloudConfig(), before);
    assert.equal((await call("GET", "/config/try")).body.try, null);
    assert.ok(logged.some((l) => l.startsWith(`config try ${t.body.try} reverted`)), logged.join("\n"));

    const k = await call("PATCH", "/config", { mode: "try", timeout: 1, config: { hostname: "kept" } });
    assert.equal((await call("POST", `/config/try/confirm?id=wrong`)).status, 409);
    assert.equal((await call("POST", `/config/try/confirm?id=${k.body.try}`)).status, 200);
    await sleep(1600);
    assert.match(cloudConfig(), /hostname: kept/);
    assert.equal((await call("POST", "/config/try/confirm")).status, 409);
  });

  test("try: a trial outlives a restart of the server and is still reverted", async () => {
    const before = cloudConfig();
    const other = new Api({ log, shell, apply });
    const sock = join(root, "var/run/other.sock");
    await other.listenUnix(sock);
    const t = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest({ socketPath: sock, method: "PATCH", path: "/config" }, (res) => collect(res).then(resolve, reject));
      req.end(JSON.stringify({ mode: "try", timeout: 2, config: { hostname: "crashed" } }));
    });
    assert.equal(t.status, 200, t.text);
    await other.close();
    // The running API (started before the trial) has no timer for it; one started now picks it up.
    const again = new Api({ log, shell, apply });
    assert.match(cloudConfig(), /hostname: crashed/);
    await sleep(2500);
    assert.equal(cloudConfig(), before);
    await again.close();
  });
});

describe("TCP with mutual TLS", () => {
  const tls = join(scratch, "tls");
  const stranger = join(scratch, "stranger");
  let port = 0;

  before(async () => {
    tlsGen({ dir: tls, hosts: ["corral.test"], clientName: "ops-laptop" });
    tlsGen({ dir: stranger, hosts: ["elsewhere"], clientName: "intruder" });
    // A port free this moment (the setting takes 1 to 65535, as a user writes it).
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const free = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const server = await api.listenTls(`127.0.0.1:${free}`, tls);
    port = (server.address() as AddressInfo).port;
  });

  const read = (dir: string, f: string) => readFileSync(join(dir, f));
  function tcp(client: { cert?: Buffer; key?: Buffer }): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, path: "/os/version", servername: "localhost", ca: read(tls, TLS_FILES.ca), ...client }, (res) => collect(res).then(resolve, reject));
      req.on("error", reject);
      req.end();
    });
  }

  test("a client with a certificate from the host's CA is served, and logged by its CN", async () => {
    const r = await tcp({ cert: read(tls, TLS_FILES.clientCert), key: read(tls, TLS_FILES.clientKey) });
    assert.equal(r.status, 200);
    assert.ok(r.body.version);
    assert.ok(logged.some((l) => l.startsWith("tls:ops-laptop@127.0.0.1 GET /os/version 200")), logged.join("\n"));
  });

  test("a client without a certificate is refused", async () => {
    await assert.rejects(tcp({}), (e: NodeJS.ErrnoException) => /certificate|ECONNRESET|socket hang up/i.test(`${e.code} ${e.message}`));
  });

  test("a client whose certificate comes from another CA is refused", async () => {
    await assert.rejects(tcp({ cert: read(stranger, TLS_FILES.clientCert), key: read(stranger, TLS_FILES.clientKey) }), (e: NodeJS.ErrnoException) => /unknown ca|certificate|ECONNRESET|socket hang up/i.test(`${e.code} ${e.message}`));
    assert.ok(!logged.some((l) => l.startsWith("tls:intruder")));
  });

  test("the server's certificate names its hosts", async () => {
    const { X509Certificate } = await import("node:crypto");
    const cert = new X509Certificate(read(tls, TLS_FILES.serverCert));
    assert.ok(cert.checkHost("corral.test"));
    assert.ok(cert.checkIP("127.0.0.1"));
    assert.ok(cert.verify(new X509Certificate(read(tls, TLS_FILES.ca)).publicKey));
  });
});

/** A shell session: what it printed so far, and its exit frame. */
function openShell(query = "") {
  const ws = new WebSocket(`ws+unix://${paths.corralSocket}:/shell${query}`);
  let out = "";
  const exit = new Promise<{ exit: number; signal: number }>((resolve) => ws.on("message", (d: Buffer, binary: boolean) => (binary ? (out += d.toString("utf8")) : resolve(JSON.parse(d.toString("utf8"))))));
  const closed = new Promise<number>((resolve) => ws.on("close", (code: number) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => ws.on("open", resolve).on("error", reject));
  const until = async (re: RegExp, ms = 5000) => {
    const end = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > end) throw new Error(`no ${re} in: ${JSON.stringify(out)}`);
      await sleep(20);
    }
    return re.exec(out)!;
  };
  return { ws, opened, exit, closed, until, type: (s: string) => ws.send(Buffer.from(s), { binary: true }) };
}

describe("the shell", () => {
  test("runs a command, follows a resize (stty size), and returns the exit code", async () => {
    const s = openShell("?cols=80&rows=24");
    await s.opened;
    s.type("echo marker-$((6*7))\n");
    await s.until(/marker-42/);
    s.type("stty size\n");
    await s.until(/\b24 80\b/);
    s.ws.send(JSON.stringify({ resize: [132, 50] }));
    s.type("stty size\n");
    await s.until(/\b50 132\b/);
    s.type("exit 7\n");
    assert.deepEqual(await s.exit, { exit: 7, signal: 0 });
    assert.equal(await s.closed, 1000);
    assert.ok(logged.some((l) => /^unix shell: pid \d+ exited 7$/.test(l)), logged.join("\n"));
  });

  test("one PTY per session, killed when its client goes", async () => {
    const a = openShell();
    const b = openShell();
    await Promise.all([a.opened, b.opened]);
    a.type("echo pid=$$ tty=$(tty)\n");
    b.type("echo pid=$$ tty=$(tty)\n");
    const [, pa, ta] = await a.until(/pid=(\d+) tty=(\S+)/);
    const [, pb, tb] = await b.until(/pid=(\d+) tty=(\S+)/);
    assert.notEqual(pa, pb);
    assert.notEqual(ta, tb);
    a.ws.terminate();
    const end = Date.now() + 5000;
    while (existsSync(`/proc/${pa}`) && Date.now() < end) await sleep(50);
    assert.equal(existsSync(`/proc/${pa}`), false, "the shell of a closed session still runs");
    assert.ok(existsSync(`/proc/${pb}`));
    b.type("exit\n");
    assert.equal((await b.exit).exit, 0);
  });

  test("a plain GET is told to upgrade; a bad user name is refused before any PTY", async () => {
    assert.equal((await call("GET", "/shell")).status, 426);
    const s = openShell("?user=..%2Froot");
    await assert.rejects(s.opened, /400/);
  });
});

describe("a host without node-pty", () => {
  test("the bundle's agent serves everything but the shell, which answers 501", async () => {
    const dir = join(scratch, "lonely");
    const other = join(dir, "root");
    write(join(other, "usr/share/ros/os-config.yml"), "rancher: {}\n");
    // No node_modules beside it or above it: node-pty cannot load.
    await bundleFile(join(REPO, "os/cli/main.ts"), join(dir, "ros.mjs"));
    const agent = spawn(process.execPath, [join(dir, "ros.mjs"), "agent-init"], { env: { ...process.env, ROS_ROOT: other }, cwd: dir, stdio: "ignore" });
    try {
      const sock = join(other, "var/run/corral.sock");
      const end = Date.now() + 15_000;
      while (!existsSync(sock) && Date.now() < end) await sleep(50);
      const ws = new WebSocket(`ws+unix://${sock}:/shell`);
      const status = await new Promise<number>((resolve) => ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)).on("open", () => resolve(101)));
      assert.equal(status, 501);
      const version = await new Promise<Reply>((resolve, reject) => httpRequest({ socketPath: sock, path: "/os/version" }, (res) => collect(res).then(resolve, reject)).on("error", reject).end());
      assert.equal(version.status, 200);
    } finally {
      agent.kill("SIGTERM");
      await once(agent, "exit");
    }
  });
});

describe("services and the console shell, against a real system Docker", () => {
  let dockerd: TestDockerd;
  before(async () => {
    dockerd = await startTestDockerd(join(scratch, "dockerd"));
    await importBusybox(dockerd.docker, "local/bb:1");
    symlinkSync(dockerd.socket, paths.systemDockerSock);
  });
  after(async () => {
    await dockerd?.stop();
  });

  test("metrics: the host's CPU, memory and disks, and each container's CPU and memory; a Docker that is down is named", async () => {
    // The host's own /proc, as the agent (pid: host) sees it on a booted host.
    symlinkSync("/proc", paths.proc);
    const c = await dockerd.docker.createContainer({ Image: "local/bb:1", name: "metered", Cmd: ["sh", "-c", "while :; do :; done"] });
    await c.start();
    try {
      const r = await call("GET", "/os/metrics");
      assert.equal(r.status, 200, r.text);
      const m = r.body as { cpu: { cores: number; busyPercent: number; load: number[] }; memory: { totalBytes: number; usedBytes: number }; disks: { path: string; totalBytes: number; freeBytes: number }[]; containers: { docker: string; name: string; cpuPercent: number; memoryBytes: number }[]; errors: string[] };
      assert.ok(m.cpu.cores >= 1 && m.cpu.busyPercent >= 0 && m.cpu.busyPercent <= 100 && m.cpu.load.length === 3, r.text);
      assert.ok(m.memory.totalBytes > m.memory.usedBytes && m.memory.usedBytes > 0, r.text);
      assert.ok(m.disks.some((d) => d.path === root && d.totalBytes >= d.freeBytes && d.freeBytes > 0), r.text);
      const row = m.containers.find((x) => x.name === "metered");
      assert.ok(row, r.text);
      assert.equal(row.docker, "system");
      // A busy loop: well above idle, at most one core.
      assert.ok(row.cpuPercent > 20 && row.cpuPercent <= 105, `cpu ${row.cpuPercent}%`);
      assert.ok(row.memoryBytes > 0);
      assert.deepEqual(m.errors.length, 1);
      assert.match(m.errors[0]!, /^user Docker: .*not answering/);
    } finally {
      await c.remove({ force: true });
      rmSync(paths.proc);
    }
  });

  test("a patch now brings a new service up; it is listed, its logs followed, and it restarts", async () => {
    const probe = { image: "local/bb:1", command: ["sh", "-c", "echo hello; i=0; while sleep 0.2; do i=$((i+1)); echo tick-$i; done"], labels: { "io.rancher.os.scope": "system" } };
    const p = await call("PATCH", "/config", { mode: "now", config: { rancher: { services: { probe } } } });
    assert.equal(p.status, 200, p.text);
    assert.ok(p.body.applied.some((l: string) => /^probe: (started|running)/.test(l)), p.text);

    const list = await call("GET", "/services");
    const row = (list.body as { name: string; state: string }[]).find((r) => r.name === "probe");
    assert.equal(row?.state, "running", list.text);

    const once = await call("GET", "/services/probe/logs?lines=100");
    assert.equal(once.status, 200);
    assert.match(once.text, /^hello\n/);

    // Follow: the response stays open and new lines keep coming; the client hangs up.
    const followed = await readUntil({ socketPath: paths.corralSocket, path: "/services/probe/logs?follow=true&lines=0" }, (text) => (text.match(/tick-/g) ?? []).length >= 3);
    assert.doesNotMatch(followed, /hello/);

    const started = (await dockerd.docker.getContainer("probe").inspect()).State.StartedAt;
    assert.equal((await call("POST", "/services/probe/restart")).status, 200);
    const info = await dockerd.docker.getContainer("probe").inspect();
    assert.ok(info.State.Running);
    assert.notEqual(info.State.StartedAt, started);
    assert.equal((await call("POST", "/services/nothing/restart")).status, 404);
    await dockerd.docker.getContainer("probe").remove({ force: true });
  });

  test("the default shell is a login in the console container's namespaces, as its user", async () => {
    const c = await dockerd.docker.createContainer({
      name: "console",
      Image: "local/bb:1",
      Cmd: ["sh", "-c", "echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd; echo 'rancher:x:1100:1100::/home/rancher:/bin/sh' >> /etc/passwd; mkdir -p /home/rancher; hostname console-box; exec sleep 600"],
      HostConfig: { CapAdd: ["SYS_ADMIN"] },
    });
    await c.start();
    const own = new Api({ log, apply });
    const sock = join(root, "var/run/console-shell.sock");
    await own.listenUnix(sock);
    try {
      await sleep(500);
      const ws = new WebSocket(`ws+unix://${sock}:/shell`);
      let out = "";
      ws.on("message", (d: Buffer, binary: boolean) => binary && (out += d.toString("utf8")));
      await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
      ws.send(Buffer.from("echo who=$(id -u)@$(hostname) init=$(cat /proc/1/comm)\n"), { binary: true });
      const end = Date.now() + 10_000;
      while (!/who=\d+@\S+ init=\S+/.test(out) && Date.now() < end) await sleep(50);
      assert.match(out, /who=1100@console-box init=sleep/);
      ws.close();
    } finally {
      await own.close();
      await c.remove({ force: true });
    }
  });
});
