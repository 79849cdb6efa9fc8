// The service runner against a real dockerd: ordering, oneshot gating, createonly holders, failures
// that stay contained, crash loops restarted with backoff, failing health checks, fingerprints that
// keep unchanged containers (also across a daemon restart), and the errors users meet.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";
import type { Status } from "../../os/services/status.ts";

const root = mkdtempSync(join(tmpdir(), "corral-root-"));
process.env.ROS_ROOT = root;
const { up } = await import("../../os/services/runner.ts");
const { toServices } = await import("../../os/services/service.ts");
const { engines } = await import("../../os/services/engines.ts");
const { serviceStatus } = await import("../../os/services/status.ts");
const { supervise, readHealthRecords } = await import("../../os/services/supervisor.ts");
const { upReloading } = await import("../../os/services/reload.ts");
const { inspectNamed } = await import("../../os/services/named.ts");
const { restartPauses, startTestDockerd } = await import("./dockerd.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");

const IMAGE = "local/bb:1";
const dockerdDir = mkdtempSync(join(tmpdir(), "corral-dockerd-"));
let dockerd = await startTestDockerd(dockerdDir, { bridge: { name: "corral-rt0", cidr: "10.213.7.1/24" } });
let docker: Docker = dockerd.docker;
await importBusybox(docker, IMAGE);
after(async () => {
  await removeAll();
  await dockerd.stop();
  rmSync(dockerdDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

const svc = (command: string, labels: Record<string, string> = {}, extra: Partial<ServiceConfig> = {}): ServiceConfig => ({ image: IMAGE, command: ["sh", "-c", command], labels, ...extra });
const run = (defs: Record<string, ServiceConfig>, o: Parameters<typeof up>[2] = {}) => up(toServices(defs), engines(docker), o);
const byName = (outcomes: { name: string }[]) => Object.fromEntries(outcomes.map((o) => [o.name, o])) as Record<string, Awaited<ReturnType<typeof up>>[number]>;
// By exact name: Docker would answer "ca" with any container whose ID starts with ca.
const inspect = async (name: string) => (await inspectNamed(docker, name)) ?? Promise.reject(new Error(`no such container: ${name}`));
const started = async (name: string) => Date.parse((await inspect(name)).State.StartedAt);
const removeAll = async () => {
  for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });
};

describe("order", () => {
  before(removeAll);
  test("after and before labels order the starts; oneshots finish before their dependants start", async () => {
    const out = byName(
      await run({
        app: svc("sleep 600", { "io.rancher.os.after": "db, migrate" }),
        db: svc("sleep 600"),
        migrate: svc("sleep 1; echo migrated", { "io.rancher.os.detach": "false", "io.rancher.os.after": "db" }),
        early: svc("sleep 600", { "io.rancher.os.before": "db" }),
      }),
    );
    assert.deepEqual(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.result])), { app: "started", db: "started", migrate: "done", early: "started" });
    assert.ok((await started("early")) <= (await started("db")), "early starts before db");
    assert.ok((await started("db")) <= (await started("migrate")));
    const migrated = await inspect("migrate");
    assert.equal(migrated.State.ExitCode, 0);
    assert.ok(Date.parse(migrated.State.FinishedAt) <= (await started("app")), "app waited for the oneshot to exit");
    assert.deepEqual((await inspect("migrate")).HostConfig.RestartPolicy, { Name: "no", MaximumRetryCount: 0 });
  });

  test("a failed oneshot stops its dependants and nothing else", async () => {
    const out = byName(
      await run({
        bad: svc("echo cannot migrate >&2; exit 3", { "io.rancher.os.detach": "false" }),
        "needs-bad": svc("sleep 600", { "io.rancher.os.after": "bad" }),
        "needs-needs-bad": svc("sleep 600", { "io.rancher.os.after": "needs-bad" }),
        free: svc("sleep 600"),
      }),
    );
    assert.equal(out.bad!.result, "failed");
    assert.match(out.bad!.detail!, /exited with 3.*cannot migrate/);
    assert.equal(out["needs-bad"]!.result, "skipped");
    assert.match(out["needs-bad"]!.detail!, /waits for bad, which failed/);
    assert.match(out["needs-needs-bad"]!.detail!, /waits for needs-bad, which was skipped/);
    assert.equal(out.free!.result, "started");
    assert.equal((await inspect("free")).State.Running, true);
  });

  test("services in a cycle fail, naming the cycle; their dependants wait; the rest starts", async () => {
    const defs = {
      ca: svc("sleep 600", { "io.rancher.os.after": "cb", "io.rancher.os.before": "cc" }),
      cb: svc("sleep 600", { "io.rancher.os.after": "cc" }),
      cc: svc("sleep 600"),
      "needs-ca": svc("sleep 600", { "io.rancher.os.after": "ca" }),
      free2: svc("sleep 600"),
    };
    const out = byName(await run(defs));
    for (const n of ["ca", "cb", "cc"]) {
      assert.equal(out[n]!.result, "failed");
      assert.match(out[n]!.detail!, /in a circle: ca → cb → cc → ca/);
      await assert.rejects(inspect(n), /no such container/i);
    }
    assert.equal(out["needs-ca"]!.result, "skipped");
    assert.equal(out.free2!.result, "started", out.free2!.detail);
  });

  test("a service named like the start of another container's ID gets a container of its own", async () => {
    // Docker resolves a missing name as an ID prefix: the cycle test once saw free's container as "ca".
    await run({ other: svc("sleep 600") });
    const prefix = (await inspect("other")).Id.slice(0, 4);
    const out = byName(await run({ [prefix]: svc("sleep 600") }));
    assert.equal(out[prefix]!.result, "started", out[prefix]!.detail);
    assert.equal((await inspect(prefix)).Name, `/${prefix}`);
    const shorter = prefix.slice(0, 3);
    const status = await statusByName({ [shorter]: svc("sleep 600") });
    assert.equal(status[shorter]!.state, "not created", "ps does not take another container for a missing one");
  });
});

describe("containers", () => {
  before(removeAll);
  test("a createonly holder is created, never started, and lends its volumes", async () => {
    const out = byName(
      await run({
        holder: svc("true", { "io.rancher.os.createonly": "true" }, { volumes: ["/data"] }),
        writer: svc("echo kept > /data/f", { "io.rancher.os.detach": "false" }, { volumes_from: ["holder"] }),
        reader: svc("cat /data/f; sleep 600", {}, { volumes_from: ["holder"], depends_on: ["writer"] }),
      }),
    );
    assert.equal(out.holder!.result, "created");
    assert.equal((await inspect("holder")).State.Status, "created");
    assert.equal(out.writer!.result, "done");
    assert.equal(out.reader!.result, "started");
    await new Promise((r) => setTimeout(r, 500));
    const logs = (await docker.getContainer("reader").logs({ stdout: true })).toString();
    assert.match(logs, /kept/);
  });

  test("an unchanged service keeps its container; a changed one is recreated; a stopped one is started", async () => {
    const defs = { keep: svc("sleep 600"), change: svc("sleep 600", {}, { environment: { MODE: "a" } }) };
    await run(defs);
    const ids = { keep: (await inspect("keep")).Id, change: (await inspect("change")).Id };
    defs.change = svc("sleep 600", {}, { environment: { MODE: "b" } });
    const out = byName(await run(defs));
    assert.equal(out.keep!.result, "running");
    assert.equal((await inspect("keep")).Id, ids.keep);
    assert.equal(out.change!.recreated, true);
    assert.notEqual((await inspect("change")).Id, ids.change);
    assert.deepEqual((await inspect("change")).Config.Env.filter((e) => e.startsWith("MODE=")), ["MODE=b"]);
    await docker.getContainer("keep").stop({ t: 0 });
    assert.equal(byName(await run(defs)).keep!.result, "started");
    assert.equal((await inspect("keep")).Id, ids.keep);
  });

  test("after a daemon restart, unchanged services keep their containers", async () => {
    const defs = { survivor: svc("sleep 600") };
    await run(defs);
    const id = (await inspect("survivor")).Id;
    await dockerd.stop();
    dockerd = await startTestDockerd(dockerdDir, { bridge: { name: "corral-rt0", cidr: "10.213.7.1/24" } });
    docker = dockerd.docker;
    const out = byName(await run(defs));
    assert.ok(["running", "started"].includes(out.survivor!.result), out.survivor!.result);
    assert.equal((await inspect("survivor")).Id, id);
  });

  test("a reloadconfig service's config changes are brought up in a second pass", async () => {
    // The service writes the config the reload then reads, as cloud-init writes user data.
    const conf = mkdtempSync(join(tmpdir(), "corral-reload-"));
    try {
      const writer = svc(`echo '{"added": {"image": "${IMAGE}", "command": ["sleep", "600"]}}' > /conf/more.json`, { "io.rancher.os.detach": "false", "io.rancher.os.reloadconfig": "true" }, { volumes: [`${conf}:/conf`] });
      const base = { writer, steady: svc("sleep 600") };
      let reloads = 0;
      const reload = async () => {
        reloads++;
        const more = JSON.parse(readFileSync(join(conf, "more.json"), "utf8")) as Record<string, ServiceConfig>;
        return { services: toServices({ ...base, ...more }), environment: {} };
      };
      const out = byName(await upReloading({ services: toServices(base), environment: {} }, reload, engines(docker)));
      assert.equal(reloads, 1);
      assert.equal(out.writer!.result, "done");
      assert.equal(out.added!.result, "started");
      assert.equal((await inspect("added")).State.Running, true);
      assert.equal(byName(await upReloading({ services: toServices({ steady: base.steady }), environment: {} }, reload, engines(docker))).steady!.result, "running");
      assert.equal(reloads, 1, "no reloadconfig service ran: no reload");
    } finally {
      rmSync(conf, { recursive: true, force: true });
    }
  });

  test("environment entries without a value come from rancher.environment, by name or glob", async () => {
    await run({ envy: svc("sleep 600", {}, { environment: ["LOG_LEVEL", "PROXY_*", "SET=1", "UNSET"] }) }, { environment: { LOG_LEVEL: "debug", PROXY_HTTP: "h", PROXY_HTTPS: "s", OTHER: "x" } });
    const env = (await inspect("envy")).Config.Env.filter((e) => !e.startsWith("PATH="));
    assert.deepEqual(env.sort(), ["LOG_LEVEL=debug", "PROXY_HTTP=h", "PROXY_HTTPS=s", "SET=1"]);
  });

  test("privileged works on this machine (translated when Docker's own privileged mode is refused)", async () => {
    // Mounting needs CAP_SYS_ADMIN past seccomp and AppArmor; /dev/kmsg is a host device.
    const needsPrivilege = "mount -t tmpfs none /tmp && test -c /dev/kmsg";
    const oneshot = { "io.rancher.os.detach": "false" };
    const out = byName(await run({ priv: svc(needsPrivilege, oneshot, { privileged: true, net: "none" }), plain: svc(needsPrivilege, oneshot, { net: "none" }) }));
    assert.equal(out.priv!.result, "done", out.priv!.detail);
    assert.equal(out.plain!.result, "failed");
  });

  test("an image that is not loaded, and a port in use, are said plainly", async () => {
    const out = byName(await run({ ghost: { image: "local/ghost:9" } }));
    assert.match(out.ghost!.detail!, /image local\/ghost:9 is not loaded in the system Docker/);
    const holder = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => holder.once("listening", r));
    const port = (holder.address() as { port: number }).port;
    try {
      const o = byName(await run({ web: svc("sleep 600", {}, { ports: [`127.0.0.1:${port}:80`] }) }));
      assert.equal(o.web!.result, "failed");
      assert.match(o.web!.detail!, new RegExp(`port ${port} is in use on the host`));
    } finally {
      holder.close();
    }
  });
});

/** `ros service ps` of these definitions, by service name. */
async function statusByName(defs: Record<string, ServiceConfig>): Promise<Record<string, Status>> {
  return Object.fromEntries((await serviceStatus(toServices(defs), engines(docker))).map((s) => [s.name, s]));
}

describe("supervision", () => {
  before(removeAll);
  test("a crash-looping service is restarted with growing delays while the others stay up", async () => {
    const defs = { crasher: svc("exit 1"), steady: svc("sleep 600") };
    const since = Math.floor(Date.now() / 1000);
    await run(defs);
    await new Promise((r) => setTimeout(r, 9000));
    // Docker's restart policy waits 100 ms, then twice as long each time: the pause between a
    // death and the next start grows.
    const pauses = await restartPauses(docker, "crasher", since, Math.floor(Date.now() / 1000));
    assert.ok(pauses.length >= 4, `restarted ${pauses.length} times`);
    assert.ok(pauses.at(-1)! > pauses[0]! * 1.8, `pauses grow: ${pauses.map((g) => g.toFixed(0)).join(", ")} ms`);
    const status = await statusByName(defs);
    assert.equal(status.crasher!.state, "crash-loop");
    assert.ok(status.crasher!.restarts >= 3);
    assert.equal(status.steady!.state, "running");
    assert.equal(status.steady!.restarts, 0);
  });

  test("a failing health check: dependants do not start, the supervisor restarts it with backoff, ps says so", async () => {
    const sup = supervise(docker, "system", { baseDelayMs: 300, maxDelayMs: 2000 });
    try {
      const defs = {
        sick: svc("sleep 600", {}, { healthcheck: { test: ["CMD", "false"], interval: "1s", timeout: "1s", retries: 1 }, stop_grace_period: "1s" }),
        "needs-sick": svc("sleep 600", { "io.rancher.os.after": "sick" }),
        well: svc("sleep 600", {}, { healthcheck: { test: "true", interval: "1s", retries: 1 } }),
      };
      const out = byName(await run(defs, { readyTimeoutMs: 4000 }));
      assert.equal(out["needs-sick"]!.result, "skipped");
      assert.match(out["needs-sick"]!.detail!, /sick, which (was not healthy within 4 s|stopped before it was healthy)/);
      await new Promise((r) => setTimeout(r, 5000));
      const record = readHealthRecords("system").sick;
      assert.ok(record && record.totalHealthRestarts >= 2, JSON.stringify(record));
      // The supervisor may be between its stop and its start: read ps once the container is back.
      let status: Record<string, Status> = {};
      for (let i = 0; i < 20; i++) {
        status = await statusByName(defs);
        if (status.sick!.health !== "-") break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(["unhealthy", "starting"].includes(status.sick!.health), `${status.sick!.state} ${status.sick!.health}`);
      assert.ok(status.sick!.restarts >= 2);
      assert.equal(status.well!.health, "healthy");
      assert.equal(status.well!.restarts, 0);
    } finally {
      sup.stop();
    }
  });
});
