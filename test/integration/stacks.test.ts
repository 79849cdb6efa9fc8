// Stacks on a real three-host Docker Swarm (swarm-nodes.ts: a dockerd per network namespace, one
// manager and two workers), driven by `ros stack` as a user would. A web service answers on a
// published port on every host and calls its backend by service name, across hosts over the stack's
// overlay; scaled up and down; a second deploy of the same file changes nothing; a host that dies has
// its tasks rescheduled elsewhere.
// This machine's kernel has VXLAN but neither IPVS nor ESP, so here the overlay is plain and services
// resolve by DNS round robin (endpoint_mode: dnsrr) with ports published on each host (mode: host);
// the booted guest, whose kernel has both, checks the encrypted overlay and the routing mesh.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type Docker from "dockerode";
import { stringify } from "yaml";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { killHostDockerd, swarmLab, until, type SwarmHost } from "./swarm-nodes.ts";

const MAIN = join(import.meta.dirname, "../../os/cli/main.ts");
const IMAGE = "corral-test/busybox:stack";
// The backend's versions: each knows its number; version 3 lacks the file its health check tests.
const APP = "corral-test/app";
const lab = swarmLab("cst", "10.77.0");
const [n1, n2, n3] = lab.hosts as [SwarmHost, SwarmHost, SwarmHost];

const STACK = `
version: "3.8"
services:
  backend:
    image: ${APP}:1
    command: ["sh", "-c", "while true; do echo \\"backend $$(hostname) v$$(cat /version)\\" | nc -l -p 80; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/ok"], interval: 1s, retries: 2 }
    deploy:
      replicas: \${BACKENDS:-3}
      endpoint_mode: dnsrr
  web:
    image: ${IMAGE}
    command: ["sh", "-c", "while true; do nc -l -p 8080 -e sh -c 'echo \\"web $$(hostname) <- $$(nc backend 80 </dev/null)\\"'; done"]
    ports:
      - { target: 8080, published: 8080, mode: host }
    deploy:
      mode: global
      endpoint_mode: dnsrr
networks:
  default:
    driver_opts: { encrypted: "false" }
`;

// A stateful service: its volume lives on the manager, where the service is placed.
const VAULT = `
services:
  keeper:
    image: ${IMAGE}
    command: ["sh", "-c", "[ -f /data/msg ] || echo first > /data/msg; exec sleep 3600"]
    volumes: ["data:/data"]
    deploy:
      placement: { constraints: ["node.role == manager"] }
      endpoint_mode: dnsrr
volumes:
  data: {}
networks:
  default:
    driver_opts: { encrypted: "false" }
`;

/** A store that keeps what is PUT and serves it back, as an S3 presigned URL would. */
function objectStore(): Promise<{ server: Server; url: string; objects: Map<string, Buffer> }> {
  const objects = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    if (req.method === "PUT") {
      const parts: Buffer[] = [];
      req.on("data", (b: Buffer) => parts.push(b));
      req.on("end", () => (objects.set(req.url!, Buffer.concat(parts)), res.writeHead(200).end()));
      return;
    }
    const o = objects.get(req.url!);
    if (o) res.writeHead(200).end(o);
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, objects })));
}

/** What a one-off container on host `h` prints, once it has exited. */
async function outputOf(h: SwarmHost, cmd: string[], hostConfig: Docker.HostConfig): Promise<string> {
  const c = await h.docker.createContainer({ Image: IMAGE, Cmd: cmd, Tty: true, HostConfig: hostConfig });
  try {
    await c.start();
    await c.wait();
    return (await c.logs({ stdout: true, stderr: true })).toString("utf8").trim();
  } finally {
    await c.remove({ force: true });
  }
}

/** The volume's /msg, read by a container on host `h`. */
const volumeMessage = (h: SwarmHost, volume: string) => outputOf(h, ["cat", "/data/msg"], { Mounts: [{ Type: "volume", Source: volume, Target: "/data" }] });

function ros(h: SwarmHost, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { env: { ...process.env, ROS_ROOT: h.root } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
}

/** What a TCP client on host `h` (a container in its network) reads from addr:port. */
const fetchFrom = (h: SwarmHost, addr: string, port: number) => outputOf(h, ["nc", "-w", "5", addr, String(port)], { NetworkMode: "host" });

interface Task { NodeID: string; Status: { State: string }; DesiredState: string }
const running = async (d: Docker, service: string) => ((await d.listTasks({ filters: { service: [service], "desired-state": ["running"] } })) as Task[]).filter((t) => t.Status.State === "running");
const nodeId = async (h: SwarmHost) => ((await h.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;

describe("ros stack on a three-host swarm", { timeout: 300_000 }, () => {
  const file = join(lab.tmp, "web.yml");
  before(async () => {
    await lab.up();
    await Promise.all(lab.hosts.map(async (h) => {
      await importBusybox(h.docker, IMAGE);
      for (const v of [1, 2, 3]) {
        const c = await h.docker.createContainer({ Image: IMAGE, Cmd: ["sh", "-c", `echo ${v} > /version${v === 3 ? "" : " && touch /ok"}`] });
        await c.start();
        await c.wait();
        await c.commit({ repo: APP, tag: String(v) });
        await c.remove();
      }
    }));
    // Heartbeats every second (Docker's default is 5 s), so a dead host is noticed in seconds.
    await n1.docker.swarmInit({ ListenAddr: `${n1.addr}:2377`, AdvertiseAddr: n1.addr, Spec: { Dispatcher: { HeartbeatPeriod: 1e9 } } });
    const { JoinTokens } = (await n1.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    for (const h of [n2, n3]) await h.docker.swarmJoin({ ListenAddr: `${h.addr}:2377`, AdvertiseAddr: h.addr, RemoteAddrs: [`${n1.addr}:2377`], JoinToken: JoinTokens.Worker });
    writeFileSync(file, STACK);
  });
  after(() => lab.down());

  test("deploy: the web service on every host calls the backend by name, on other hosts too", async (t) => {
    const r = await ros(n1, "stack", "deploy", "-c", file, "shop");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /network shop_default: created/);
    assert.match(r.out, /service shop_backend: created/);
    assert.match(r.out, /service shop_web: created/);
    const net = (await n1.docker.getNetwork("shop_default").inspect()) as { Driver: string; Labels: Record<string, string> };
    assert.equal(net.Driver, "overlay");
    assert.equal(net.Labels["com.docker.stack.namespace"], "shop");
    const backends = await until("3 backends running", async () => {
      const tasks = await running(n1.docker, "shop_backend");
      return tasks.length === 3 && tasks;
    }, 90_000);
    assert.equal(new Set(backends.map((x) => x.NodeID)).size, 3, "the swarm spreads the backends over the three hosts");
    await until("a web task on each host", async () => (await running(n1.docker, "shop_web")).length === 3, 90_000);
    const seen = new Map<string, Set<string>>();
    const replies: string[] = [];
    for (const h of lab.hosts) {
      await until(`${h.name}'s published port to answer from two backends`, async () => {
        for (let i = 0; i < 4; i++) {
          const reply = await fetchFrom(h, h.addr, 8080);
          replies.push(reply);
          const m = /^web (\w+) <- backend (\w+) v\d$/.exec(reply);
          if (m) seen.set(h.name, (seen.get(h.name) ?? new Set()).add(m[2]!));
        }
        if ((seen.get(h.name)?.size ?? 0) >= 2) return true;
        throw new Error(`replies: ${JSON.stringify(replies.slice(-4))}`);
      }, 60_000);
    }
    t.diagnostic(`backends each web reached: ${[...seen].map(([k, v]) => `${k}: ${[...v].join(",")}`).join("; ")}`);
    // Two distinct backends from one web task means at least one answered from another host.
    for (const h of lab.hosts) assert.ok(seen.get(h.name)!.size >= 2);
    const ls = await ros(n1, "stack", "ls");
    assert.match(ls.out, /^shop\s+2$/m, ls.out);
    const ps = await ros(n1, "stack", "ps", "shop");
    assert.equal(ps.code, 0, ps.err);
    assert.equal(ps.out.split("\n").filter((l) => /shop_backend\.\d+ .* running +running/.test(l)).length, 3, ps.out);
  });

  test("a second deploy of the same file changes nothing", async () => {
    const before = ((await n1.docker.getService("shop_backend").inspect()) as { Version: { Index: number } }).Version.Index;
    const r = await ros(n1, "stack", "deploy", "-c", file, "shop");
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /created|updated/, r.out);
    assert.equal(((await n1.docker.getService("shop_backend").inspect()) as { Version: { Index: number } }).Version.Index, before);
  });

  test("scale up and down", async () => {
    const up = await ros(n1, "stack", "scale", "shop_backend=5");
    assert.equal(up.code, 0, up.err);
    await until("5 backends", async () => (await running(n1.docker, "shop_backend")).length === 5, 60_000);
    const down = await ros(n1, "stack", "scale", "shop_backend=1");
    assert.equal(down.code, 0, down.err);
    await until("1 backend", async () => (await running(n1.docker, "shop_backend")).length === 1, 60_000);
    const bad = await ros(n1, "stack", "scale", "shop_web=2");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /global service/);
    const none = await ros(n1, "stack", "scale", "shop_nothing=2");
    assert.match(none.err, /no service shop_nothing/);
    // A deploy after a scale keeps the scale: the file did not change.
    await ros(n1, "stack", "deploy", "-c", file, "shop");
    assert.equal(((await n1.docker.getService("shop_backend").inspect()) as { Spec: { Mode: { Replicated: { Replicas: number } } } }).Spec.Mode.Replicated.Replicas, 1);
    const four = await ros(n1, "stack", "deploy", "-c", file, "--var", "BACKENDS=4", "shop");
    assert.match(four.out, /service shop_backend: updated/);
    await until("4 backends", async () => (await running(n1.docker, "shop_backend")).length === 4, 60_000);
  });

  /** The backend versions n1's web task reached in `tries` calls. */
  const versions = async (tries = 6) => {
    const seen = new Set<string>();
    for (let i = 0; i < tries; i++) seen.add(/ v(\d)$/.exec(await fetchFrom(n1, n1.addr, 8080))?.[1] ?? "none");
    return [...seen].sort().join(",");
  };
  const image = async (service: string) => ((await n1.docker.getService(service).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }).Spec.TaskTemplate.ContainerSpec.Image;
  const serviceNames = async () => ((await n1.docker.listServices()) as { Spec: { Name: string } }[]).map((s) => s.Spec.Name).sort();

  test("upgrade by clone: a version failing its health check never gets the traffic; the clone is removed by itself", async (t) => {
    const t0 = Date.now();
    const r = await ros(n1, "stack", "upgrade", "shop_backend", "--image", `${APP}:3`, "--timeout", "60", "--watch", "2");
    t.diagnostic(`refused after ${Date.now() - t0} ms: ${r.err.trim()}`);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /shop_backend: the new version failed its checks \(a task failed: .*\); rolled back, shop_backend still serves/);
    assert.deepEqual(await serviceNames(), ["shop_backend", "shop_web"]);
    assert.equal(await versions(), "1");
  });

  test("upgrade by clone: a healthy version takes the traffic, the old one stands by; --rollback switches back, --confirm keeps it", async (t) => {
    let t0 = Date.now();
    const r = await ros(n1, "stack", "upgrade", "shop_backend", "--image", `${APP}:2`, "--watch", "2");
    assert.equal(r.code, 0, r.err);
    t.diagnostic(`switched after ${Date.now() - t0} ms`);
    assert.match(r.out, /traffic switched to shop_backend-next; the old version stands by/);
    assert.equal(await until("only version 2 to answer", async () => (await versions()) === "2" && "2", 30_000), "2");
    assert.deepEqual(await serviceNames(), ["shop_backend", "shop_backend-next", "shop_web"]);
    assert.equal(await image("shop_backend"), `${APP}:1`, "the old version still runs, standing by");
    const twice = await ros(n1, "stack", "upgrade", "shop_backend", "--image", `${APP}:2`);
    assert.match(twice.err, /has an upgrade waiting: ros stack upgrade shop_backend --confirm, or --rollback/);

    const back = await ros(n1, "stack", "upgrade", "shop_backend", "--rollback");
    assert.equal(back.code, 0, back.err);
    assert.equal(await until("version 1 to answer again", async () => (await versions()) === "1" && "1", 30_000), "1");
    assert.deepEqual(await serviceNames(), ["shop_backend", "shop_web"]);

    t0 = Date.now();
    assert.equal((await ros(n1, "stack", "upgrade", "shop_backend", "--image", `${APP}:2`, "--watch", "2")).code, 0);
    const kept = await ros(n1, "stack", "upgrade", "shop_backend", "--confirm", "--watch", "2");
    assert.equal(kept.code, 0, kept.err);
    t.diagnostic(`upgraded and confirmed in ${Date.now() - t0} ms`);
    assert.equal(await image("shop_backend"), `${APP}:2`);
    assert.deepEqual(await serviceNames(), ["shop_backend", "shop_web"]);
    assert.equal(await until("version 2 from the service itself", async () => (await versions()) === "2" && "2", 30_000), "2");
    const none = await ros(n1, "stack", "upgrade", "shop_backend", "--rollback");
    assert.match(none.err, /has no upgrade waiting/);
  });

  test("a stateful service's volume: snapshot, backup to a URL, restore with its data; a bad checksum or a volume in use is refused", async () => {
    const vault = join(lab.tmp, "vault.yml");
    writeFileSync(vault, VAULT);
    assert.equal((await ros(n1, "stack", "deploy", "-c", vault, "vault")).code, 0);
    await until("the keeper running", async () => (await running(n1.docker, "vault_keeper")).length === 1, 60_000);
    await until("the keeper's first message", async () => (await volumeMessage(n1, "vault_data")) === "first");
    const snap = await ros(n1, "volume", "snapshot", "vault_data");
    assert.equal(snap.code, 0, snap.err);
    const file = snap.out.trim();
    assert.match(file, /var\/lib\/rancher\/volumes\/vault_data\/.+\.tar$/);
    assert.match(readFileSync(`${file}.sha256`, "utf8"), /^[0-9a-f]{64}  .+\.tar\n$/);
    const store = await objectStore();
    try {
      const up = await ros(n1, "volume", "backup", "vault_data", "--to", `${store.url}/b/vault.tar`);
      assert.equal(up.code, 0, up.err);
      assert.ok(store.objects.get("/b/vault.tar")!.length > 0);
      assert.match(store.objects.get("/b/vault.tar.sha256")!.toString(), /^[0-9a-f]{64}  vault\.tar\n$/);

      // The data changes; the volume is in use, so a restore is refused and changes nothing.
      const w = await n1.docker.createContainer({ Image: IMAGE, Cmd: ["sh", "-c", "echo second > /data/msg"], HostConfig: { Mounts: [{ Type: "volume", Source: "vault_data", Target: "/data" }] } });
      await w.start();
      await w.wait();
      await w.remove();
      const busy = await ros(n1, "volume", "restore", "vault_data", "--from", file);
      assert.equal(busy.code, 1);
      assert.match(busy.err, /volume vault_data is in use by vault_keeper\.1\.\w+ \(running\); stop what uses it first/);
      assert.equal(await volumeMessage(n1, "vault_data"), "second");

      assert.equal((await ros(n1, "stack", "scale", "vault_keeper=0")).code, 0);
      await until("the keeper stopped", async () => ((await n1.docker.listContainers({ filters: { label: ["com.docker.swarm.service.name=vault_keeper"] } })) as unknown[]).length === 0, 30_000);
      // A damaged archive is refused before the volume is touched.
      store.objects.set("/b/bad.tar", Buffer.concat([store.objects.get("/b/vault.tar")!, Buffer.from("x")]));
      store.objects.set("/b/bad.tar.sha256", store.objects.get("/b/vault.tar.sha256")!);
      const bad = await ros(n1, "volume", "restore", "vault_data", "--from", `${store.url}/b/bad.tar`);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /does not match its checksum .*nothing was restored/);
      assert.equal(await volumeMessage(n1, "vault_data"), "second");

      const back = await ros(n1, "volume", "restore", "vault_data", "--from", `${store.url}/b/vault.tar`);
      assert.equal(back.code, 0, back.err);
      assert.equal(await volumeMessage(n1, "vault_data"), "first");
      // What it held before the restore was kept.
      const previous = /what it held before: (.+)\)$/m.exec(back.out)![1]!;
      assert.ok(existsSync(previous) && existsSync(`${previous}.sha256`));
      const local = await ros(n1, "volume", "restore", "vault_data", "--from", previous);
      assert.equal(local.code, 0, local.err);
      assert.equal(await volumeMessage(n1, "vault_data"), "second");
    } finally {
      store.server.close();
    }
  });

  test("a catalog stack deployed with its variables: defaults, given values, a required one", async () => {
    const repo = join(lab.tmp, "repo");
    mkdirSync(join(repo, "stacks"), { recursive: true });
    writeFileSync(join(repo, "index.yml"), "stacks:\n  - greeter\n");
    writeFileSync(join(repo, "stacks/greeter.yml"), `x-description: says hello to someone
x-variables:
  GREETING: { description: what it says, default: hello }
  REPLICAS: { default: 1 }
  WHO: { description: whom it greets }
services:
  greeter:
    image: ${IMAGE}
    command: ["sh", "-c", "exec sleep 3600"]
    environment: { MESSAGE: "\${GREETING} \${WHO}" }
    deploy: { replicas: "\${REPLICAS}", endpoint_mode: dnsrr }
networks:
  default: { driver_opts: { encrypted: "false" } }
`);
    mkdirSync(join(n1.root, "var/lib/rancher/conf"), { recursive: true });
    writeFileSync(join(n1.root, "var/lib/rancher/conf/cloud-config.yml"), stringify({ rancher: { repositories: { lab: { url: repo } } } }));
    const list = await ros(n1, "stack", "catalog", "list");
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^greeter\s+lab$/m);
    const show = await ros(n1, "stack", "catalog", "show", "greeter");
    assert.match(show.out, /^stack greeter \(repository lab, .*\): says hello to someone$/m);
    assert.match(show.out, /^  GREETING = hello  what it says$/m);
    assert.match(show.out, /^  WHO \(required\)  whom it greets$/m);
    const missing = await ros(n1, "stack", "catalog", "deploy", "greeter");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /stack greeter needs a value for WHO:\n +--var WHO=… \(whom it greets\)/);
    const typo = await ros(n1, "stack", "catalog", "deploy", "greeter", "--var", "WH0=x");
    assert.match(typo.err, /has no variable WH0.*\n.*did you mean WHO\?/);
    const r = await ros(n1, "stack", "catalog", "deploy", "greeter", "--var", "WHO=world", "--var", "REPLICAS=2", "--as", "hi");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /service hi_greeter: created/);
    const spec = ((await n1.docker.getService("hi_greeter").inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Env: string[] } } } }).Spec;
    assert.deepEqual(spec.TaskTemplate.ContainerSpec.Env, ["MESSAGE=hello world"]);
    await until("2 greeters", async () => (await running(n1.docker, "hi_greeter")).length === 2, 60_000);
  });

  test("a host that dies has its backends rescheduled on the others", async (t) => {
    const tasks = await running(n1.docker, "shop_backend");
    const ids = new Map(await Promise.all([n2, n3].map(async (h) => [await nodeId(h), h] as const)));
    const victim = tasks.map((x) => ids.get(x.NodeID)).find((h) => h !== undefined);
    assert.ok(victim, "a worker runs a backend");
    const dead = await nodeId(victim);
    const t0 = Date.now();
    await killHostDockerd(victim);
    const moved = await until(`4 backends running without ${victim.name}`, async () => {
      const now = await running(n1.docker, "shop_backend");
      return now.length === 4 && now.every((x) => x.NodeID !== dead) && now;
    }, 90_000);
    t.diagnostic(`rescheduled ${Date.now() - t0} ms after ${victim.name}'s Docker stopped`);
    assert.equal(moved.length, 4);
  });

  test("rm removes the services and the network", async () => {
    for (const stack of ["vault", "hi"]) assert.equal((await ros(n1, "stack", "rm", stack)).code, 0);
    const r = await ros(n1, "stack", "rm", "shop");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /network shop_default: removed/);
    assert.deepEqual(await n1.docker.listServices(), []);
    assert.equal((await ros(n1, "stack", "ls")).out.trim(), "NAME  SERVICES");
    const again = await ros(n1, "stack", "rm", "shop");
    assert.equal(again.code, 1);
    assert.match(again.err, /no stack shop/);
  });
});
