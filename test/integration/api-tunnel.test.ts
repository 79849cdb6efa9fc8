// The host API through the agent's outbound tunnel: a management layer on 127.0.0.1 (a real
// WebSocket server speaking the protocol the README gives) that the agent dials, refused until its
// token is right, then reaching the host only through the tunnel's streams: plain requests, a
// config change, followed logs from a real system Docker, the PTY shell; the control socket
// dropped (closed, or gone silent) and dialled again; wss:// with a CA of its own; a clean stop;
// and the agent service itself (`ros agent-init`) dialling what its config names.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer as createHttp, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, createConnection } from "node:net";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import WebSocket, { createWebSocketStream, WebSocketServer } from "ws";
import { REPO } from "../../build/cache.ts";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { startTestDockerd, type TestDockerd } from "./dockerd.ts";
import { collect, readUntil, type Reply } from "./http-reply.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-tunnel-"));
const root = join(scratch, "root");
process.env.ROS_ROOT = root;
const { Api } = await import("../../os/api/server.ts");
const { paths } = await import("../../os/paths.ts");
const { applyServices } = await import("../../os/api/apply.ts");
const { tlsGen, TLS_FILES } = await import("../../os/api/tls.ts");
const { runTunnel } = await import("../../system-services/agent/tunnel.ts");
const { VERSION } = await import("../../os/version.ts");

mkdirSync(dirname(paths.osConfig), { recursive: true });
writeFileSync(paths.osConfig, "rancher:\n  services: {}\n");
mkdirSync(paths.varRun, { recursive: true });

const logged: string[] = [];
const log = (line: string) => logged.push(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what} did not happen; log:\n${logged.join("\n")}`);
    await sleep(20);
  }
}

/** The management side: takes the control socket of a host with the right token, opens streams on it. */
class Hub {
  token = "";
  refused = 0;
  readonly controls: { ws: WebSocket; headers: IncomingMessage["headers"]; closed?: number }[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly waiting = new Map<string, (ws: WebSocket) => void>();

  constructor(readonly server: Server) {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.headers.authorization !== `Bearer ${this.token}`) return void (this.refused++, socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"));
      const stream = new URL(req.url ?? "/", "http://hub").searchParams.get("stream");
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const waiting = stream ? this.waiting.get(stream) : undefined;
        if (stream) return waiting ? waiting(ws) : ws.close(1008, "no such stream");
        const c: (typeof this.controls)[number] = { ws, headers: req.headers };
        ws.on("close", (code: number) => (c.closed = code));
        this.controls.push(c);
      });
    });
  }

  static async start(tls?: { cert: Buffer; key: Buffer }): Promise<Hub> {
    const hub = new Hub(tls ? createHttps(tls) : createHttp());
    await new Promise<void>((r) => hub.server.listen(0, "127.0.0.1", r));
    return hub;
  }

  url(scheme = "ws"): string {
    return `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}/hosts`;
  }

  get control() {
    return this.controls.at(-1);
  }

  /** A byte stream to the host's API: {"open": id} on the control socket, and the host dials back. */
  async open(): Promise<Duplex> {
    const id = randomUUID();
    const dialled = new Promise<WebSocket>((resolve) => this.waiting.set(id, resolve));
    this.control!.ws.send(JSON.stringify({ open: id }));
    const ws = await dialled;
    this.waiting.delete(id);
    return createWebSocketStream(ws);
  }

  async call(method: string, path: string, body?: unknown): Promise<Reply> {
    const bytes = await this.open();
    return new Promise((resolve, reject) => {
      const req = httpRequest({ createConnection: () => bytes, method, path, headers: { host: "corral" } }, (res) => collect(res).then(resolve, reject));
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  async close(): Promise<void> {
    for (const c of this.controls) c.ws.terminate();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** A WebSocket client over one of the tunnel's streams (ws takes any Duplex; its types say a net.Socket). */
const wsOver = (bytes: Duplex, path: string) => new WebSocket(`ws://corral${path}`, { createConnection: (() => bytes) as unknown as typeof createConnection });

const backoff = { baseMs: 100, capMs: 400, jitter: 0 };
const PING_MS = 300;
let api: InstanceType<typeof Api>;
let hub: Hub;
let dockerd: TestDockerd;
const stop = new AbortController();
let tunnel: Promise<void>;

before(async () => {
  dockerd = await startTestDockerd(join(scratch, "dockerd"));
  await importBusybox(dockerd.docker, "local/bb:1");
  symlinkSync(dockerd.socket, paths.systemDockerSock);
  api = new Api({ log, shell: async () => ["/bin/sh", []], apply: () => applyServices({ delegate: false }) });
  hub = await Hub.start();
  hub.token = "not-yet";
  tunnel = runTunnel({ url: hub.url(), token: "s3cret", api, signal: stop.signal, log, backoff, pingMs: PING_MS });
});
after(async () => {
  stop.abort();
  await tunnel;
  await api?.close();
  await hub?.close();
  await dockerd?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the tunnel", () => {
  test("a wrong token is refused with 401: the agent says why and keeps trying, and gets in once the token is right", async () => {
    await until("two refusals", () => hub.refused >= 2);
    assert.ok(logged.some((l) => l.startsWith(`tunnel: ${hub.url()} refused the agent: HTTP 401 (is rancher.agent.token right?); trying again in `)), logged.join("\n"));
    assert.equal(hub.controls.length, 0);
    hub.token = "s3cret";
    await until("a control socket", () => hub.controls.length === 1);
    assert.equal(hub.control!.headers["x-corral-hostname"], hostname());
    assert.equal(hub.control!.headers["x-corral-version"], VERSION);
    await until("the connected line", () => logged.includes(`tunnel: connected to ${hub.url()} as ${hostname()}`));
  });

  test("GET /os/version and GET /config?key= answer through it, logged as tunnel:HOST", async () => {
    const v = await hub.call("GET", "/os/version");
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.version, VERSION);
    const h = await hub.call("GET", "/config?key=rancher.services");
    assert.equal(h.status, 200, h.text);
    assert.deepEqual(h.body.value, {});
    const host = new URL(hub.url()).host;
    assert.ok(logged.some((l) => new RegExp(`^tunnel:${host} GET /os/version 200 \\d+ms$`).test(l)), logged.join("\n"));
  });

  test("PATCH /config now brings a new service up; its logs follow through the tunnel", async () => {
    const probe = { image: "local/bb:1", command: ["sh", "-c", "echo hello; i=0; while sleep 0.2; do i=$((i+1)); echo tick-$i; done"], labels: { "io.rancher.os.scope": "system" } };
    const p = await hub.call("PATCH", "/config", { mode: "now", config: { hostname: "behind-nat", rancher: { services: { probe } } } });
    assert.equal(p.status, 200, p.text);
    assert.ok(p.body.applied.some((l: string) => /^probe: (started|running)/.test(l)), p.text);
    assert.match(readFileSync(paths.cloudConfig, "utf8"), /hostname: behind-nat/);
    assert.equal((await hub.call("GET", "/config?key=hostname")).body.value, "behind-nat");

    const bytes = await hub.open();
    const followed = await readUntil({ createConnection: () => bytes, path: "/services/probe/logs?follow=true&lines=0", headers: { host: "corral" } }, (text) => (text.match(/tick-/g) ?? []).length >= 3);
    assert.doesNotMatch(followed, /hello/);
    await dockerd.docker.getContainer("probe").remove({ force: true });
  });

  test("the shell runs a command and returns its exit code", async () => {
    const bytes = await hub.open();
    const ws = wsOver(bytes, "/shell?cols=80&rows=24");
    let out = "";
    const exit = new Promise((resolve) => ws.on("message", (d: Buffer, binary: boolean) => (binary ? (out += d.toString("utf8")) : resolve(JSON.parse(d.toString("utf8"))))));
    await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
    ws.send(Buffer.from("echo marker-$((6*7))\n"), { binary: true });
    await until("the command's output", () => /marker-42/.test(out));
    ws.send(Buffer.from("exit 5\n"), { binary: true });
    assert.deepEqual(await exit, { exit: 5, signal: 0 });
    assert.ok(logged.some((l) => /^tunnel:127\.0\.0\.1:\d+ shell: pid \d+ exited 5$/.test(l)), logged.join("\n"));
  });

  test("the management side closing the control socket: the agent dials again after the backoff and serves again", async () => {
    const n = hub.controls.length;
    hub.control!.ws.close(1012, "restarting");
    await until("a new control socket", () => hub.controls.length === n + 1);
    assert.ok(logged.some((l) => l === `tunnel: ${hub.url()} closed the control socket (code 1012: restarting); trying again in 0.1s`), logged.join("\n"));
    assert.equal((await hub.call("GET", "/os/version")).status, 200);
  });

  test("a control socket that stops answering pings is dropped and dialled again", async () => {
    const n = hub.controls.length;
    // A paused socket reads nothing, so the agent's pings go unanswered (a NAT that forgot the flow).
    hub.control!.ws.pause();
    await until("a new control socket", () => hub.controls.length === n + 1, 4 * PING_MS + 2000);
    assert.ok(logged.some((l) => l.startsWith(`tunnel: ${hub.url()} did not answer a ping in 0.3s; trying again in`)), logged.join("\n"));
    assert.equal((await hub.call("GET", "/os/version")).status, 200);
  });

  test("stopping the agent closes the control socket and every stream through it", async () => {
    const bytes = await hub.open();
    const shell = wsOver(bytes, "/shell");
    await new Promise((resolve, reject) => shell.on("open", resolve).on("error", reject));
    const shellClosed = once(shell, "close");
    stop.abort();
    await tunnel;
    await shellClosed;
    await until("the control socket's close", () => hub.control!.closed !== undefined);
    assert.equal(hub.control!.closed, 1001);
    assert.equal(logged.at(-1), "tunnel: closed (the agent stops)");
    const controls = hub.controls.length;
    await sleep(3 * backoff.capMs);
    assert.equal(hub.controls.length, controls, "the agent dialled after it stopped");
  });
});

describe("wss:// with a CA of the management layer's own", () => {
  const tls = join(scratch, "hub-tls");
  let secure: Hub;
  before(async () => {
    tlsGen({ dir: tls, hosts: ["127.0.0.1"], clientName: "unused" });
    secure = await Hub.start({ cert: readFileSync(join(tls, TLS_FILES.serverCert)), key: readFileSync(join(tls, TLS_FILES.serverKey)) });
    secure.token = "t";
  });
  after(() => secure?.close());

  async function dial(caFile?: string): Promise<() => Promise<void>> {
    const halt = new AbortController();
    const running = runTunnel({ url: secure.url("wss"), token: "t", caFile, api, signal: halt.signal, log, backoff });
    return async () => (halt.abort(), await running);
  }

  test("without the CA the certificate is refused (and said); with rancher.agent.ca_file the host is served", async () => {
    const halt = await dial();
    await until("a certificate error", () => logged.some((l) => l.startsWith(`tunnel: ${secure.url("wss")} failed: `) && /certificate/i.test(l)));
    await halt();
    assert.equal(secure.controls.length, 0);

    const missing = await dial(join(tls, "nothing.pem"));
    await until("the missing CA file", () => logged.some((l) => l.startsWith(`tunnel: ${secure.url("wss")} was not dialled: rancher.agent.ca_file: ENOENT`)));
    await missing();

    const served = await dial(join(tls, TLS_FILES.ca));
    await until("a control socket", () => secure.controls.length === 1);
    assert.equal((await secure.call("GET", "/os/version")).body.version, VERSION);
    await served();
  });
});

describe("the agent service", () => {
  test("`ros agent-init` dials the rancher.agent.url of its config with its token, serves through it, and SIGTERM closes the tunnel", async () => {
    const own = await Hub.start();
    own.token = "from-config";
    const other = join(scratch, "agent-root");
    mkdirSync(join(other, "usr/share/ros"), { recursive: true });
    writeFileSync(join(other, "usr/share/ros/os-config.yml"), "rancher:\n  services: {}\n");
    mkdirSync(join(other, "var/lib/rancher/conf"), { recursive: true });
    writeFileSync(join(other, "var/lib/rancher/conf/cloud-config.yml"), `rancher:\n  agent:\n    url: ${own.url()}\n    token: from-config\n`);
    const agent = spawn(process.execPath, ["--import", "tsx", join(REPO, "os/cli/main.ts"), "agent-init"], { env: { ...process.env, ROS_ROOT: other }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    agent.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    try {
      await until("the agent's control socket", () => own.controls.length === 1, 15_000);
      assert.equal((await own.call("GET", "/os/version")).body.version, VERSION);
      const exited = once(agent, "exit");
      agent.kill("SIGTERM");
      assert.deepEqual(await exited, [0, null]);
      assert.equal(own.control!.closed, 1001);
      assert.match(out, /agent: tunnel: connected to ws:\/\/127\.0\.0\.1:\d+\/hosts as /);
      assert.match(out, /agent: tunnel: closed \(the agent stops\)/);
    } finally {
      agent.kill("SIGKILL");
      await own.close();
    }
  });
});
