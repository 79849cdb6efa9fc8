// The clean shutdown's parts: the ordered stop on a real dockerd (reverse start order, a stuck
// service killed after its grace period without holding up the rest); `ros poweroff|reboot|halt`
// signalling PID 1 (a stand-in child, named by ROS_INIT_PID); and the power button: a real acpid
// run as the service runs it, with the os-services image's rule, fed an ACPI event through its event
// file, asks the stand-in to power off.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "corral-cp-power-"));
chmodSync(scratch, 0o755);
process.env.ROS_ROOT = join(scratch, "root");
const { up } = await import("../../os/services/runner.ts");
const { toServices } = await import("../../os/services/service.ts");
const { engines } = await import("../../os/services/engines.ts");
const { stopServices } = await import("../../os/services/stop.ts");
const { readImageDef } = await import("../../build/image-def.ts");
const { parse } = await import("yaml");
const { startTestDockerd } = await import("./dockerd.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");

const IMAGE = "local/bb:1";
const dockerd = await startTestDockerd(join(scratch, "dockerd"));
const docker = dockerd.docker;
await importBusybox(docker, IMAGE);
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });
  await dockerd.stop();
  rmSync(scratch, { recursive: true, force: true });
});

// The shell as PID 1 ignores SIGTERM unless it traps it: these take half a second to stop when
// asked, so the order of their stops shows in their exit times; the stubborn one never stops.
const COOPERATIVE = 'trap "sleep 0.5; exit 0" TERM; sleep 600 & wait';
const STUBBORN = 'trap "" TERM; sleep 600 & wait';
const svc = (command: string, labels: Record<string, string> = {}, extra: Partial<ServiceConfig> = {}): ServiceConfig => ({ image: IMAGE, command: ["sh", "-c", command], net: "none", labels, ...extra });
const finished = async (name: string) => Date.parse((await docker.getContainer(name).inspect()).State.FinishedAt);

describe("ordered stop", () => {
  test("services stop in reverse start order; one ignoring SIGTERM is killed after its grace period and holds up only what it waits for", { timeout: 120_000 }, async () => {
    const defs = {
      one: svc(COOPERATIVE),
      two: svc(COOPERATIVE, { "io.rancher.os.after": "one" }),
      three: svc(COOPERATIVE, { "io.rancher.os.after": "two" }),
      base: svc(COOPERATIVE),
      stubborn: svc(STUBBORN, { "io.rancher.os.after": "base" }, { stop_grace_period: "3s" }),
    };
    const outcomes = await up(toServices(defs), engines(docker));
    assert.deepEqual(outcomes.map((o) => o.result), Array(5).fill("started"), JSON.stringify(outcomes));
    // A container no service names, and a user service whose Docker does not answer.
    const extra = await docker.createContainer({ name: "extra", Image: IMAGE, Cmd: ["sh", "-c", COOPERATIVE], HostConfig: { NetworkMode: "none" } });
    await extra.start();
    const all = toServices({ ...defs, u: svc("sleep 600", { "io.rancher.os.scope": "user" }) });
    const lines: string[] = [];

    const t0 = Date.now();
    const results = await stopServices(all, engines(docker, join(scratch, "no-user-docker.sock"), 500), { log: (l) => lines.push(l) });
    const took = Date.now() - t0;

    assert.deepEqual(Object.fromEntries(results.map((r) => [r.name, r.result])), { extra: "stopped", one: "stopped", two: "stopped", three: "stopped", base: "stopped", stubborn: "killed", u: "not reached" }, lines.join("\n"));
    const t = Object.fromEntries(await Promise.all(["extra", "one", "two", "three", "base", "stubborn"].map(async (n) => [n, await finished(n)] as const)));
    // Each stop began once the one before had ended: half a second apart at least.
    assert.ok(t.three! - t.extra! >= 400, `three after the unnamed container (${t.three! - t.extra!} ms)`);
    assert.ok(t.two! - t.three! >= 400, `two after three (${t.two! - t.three!} ms)`);
    assert.ok(t.one! - t.two! >= 400, `one after two (${t.one! - t.two!} ms)`);
    assert.ok(t.one! < t.stubborn!, "the one-two-three chain did not wait for the stubborn service");
    const killedAfter = t.stubborn! - t.extra!;
    assert.ok(killedAfter >= 2900 && killedAfter < 5000, `killed after its 3 s grace period (${killedAfter} ms)`);
    assert.equal((await docker.getContainer("stubborn").inspect()).State.ExitCode, 137);
    const baseAfter = t.base! - t.stubborn!;
    assert.ok(baseAfter >= 0 && baseAfter < 2000, `base stopped right after what waited for it was killed (${baseAfter} ms)`);
    assert.ok(took < 9000, `all stopped in ${took} ms`);
    assert.ok(lines.some((l) => /^stubborn: killed \(did not stop within its 3 s grace period\)$/.test(l)), lines.join("\n"));
  });

  test("nothing running: every service is reported, nothing waits", async () => {
    for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });
    await up(toServices({ done: svc("true", { "io.rancher.os.detach": "false" }) }), engines(docker));
    const results = await stopServices(toServices({ done: svc("true", { "io.rancher.os.detach": "false" }), never: svc(COOPERATIVE, { "io.rancher.os.after": "done" }) }), engines(docker));
    assert.deepEqual(Object.fromEntries(results.map((r) => [r.name, r.result])), { done: "not running", never: "not running" });
  });
});

/** A process standing in for PID 1: it prints each shutdown signal it gets. */
async function standIn(): Promise<ChildProcess & { got: string[] }> {
  const code = `for (const s of ["SIGUSR2", "SIGTERM", "SIGUSR1"]) process.on(s, () => console.log(s)); setInterval(() => {}, 1 << 30); console.log("ready");`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const got: string[] = [];
  await new Promise<void>((resolve) =>
    child.stdout!.on("data", (d: Buffer) => {
      for (const l of d.toString().split("\n").filter(Boolean)) l === "ready" ? resolve() : got.push(l);
    }),
  );
  return Object.assign(child, { got });
}

const ros = (args: string[], env: NodeJS.ProcessEnv, o: { uid?: number; gid?: number } = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", "os/cli/main.ts", ...args], { cwd: REPO, env: { ...process.env, ...env }, encoding: "utf8", ...o });

async function waitFor<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("ros poweroff, reboot, halt", () => {
  test("each asks PID 1 with busybox's signal", { timeout: 60_000 }, async () => {
    const init = await standIn();
    for (const [action, signal] of [["poweroff", "SIGUSR2"], ["reboot", "SIGTERM"], ["halt", "SIGUSR1"]] as const) {
      const r = ros([action], { ROS_INIT_PID: String(init.pid) });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`${action}: asked PID ${init.pid} \\(${signal}\\)`));
      await waitFor(`${signal} at the stand-in`, 5000, () => (init.got.at(-1) === signal ? true : undefined));
    }
    assert.deepEqual(init.got, ["SIGUSR2", "SIGTERM", "SIGUSR1"]);
  });

  test("refused, with a clear error, when not root or when the PID is not one", { timeout: 60_000 }, async () => {
    const init = await standIn();
    const asNobody = ros(["poweroff"], { ROS_INIT_PID: String(init.pid) }, { uid: 65534, gid: 65534 });
    assert.equal(asNobody.status, 1);
    assert.match(asNobody.stderr, /ros poweroff: only root can poweroff the host \(run: sudo ros poweroff\)/);
    const bad = ros(["reboot"], { ROS_INIT_PID: "init" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /ROS_INIT_PID=init is not a process ID/);
    const gone = ros(["halt"], { ROS_INIT_PID: "4194304" });
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /ros halt: cannot signal PID 4194304 \(ESRCH\)/);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(init.got, [], "nothing reached the stand-in");
  });
});

describe("power button", () => {
  test("acpid with the service's rule runs ros poweroff on a power-button event, and only on it", { timeout: 90_000 }, async () => {
    const init = await standIn();
    const dir = join(scratch, "acpid");
    mkdirSync(join(dir, "events"), { recursive: true });
    // The image's /usr/bin/ros, here: this tree's CLI.
    const wrapper = join(dir, "ros");
    writeFileSync(wrapper, `#!/bin/sh\ncd ${REPO} && exec ${process.execPath} --import tsx os/cli/main.ts "$@"\n`, { mode: 0o755 });
    const rule = readImageDef("os-services").files.find((f) => f.path === "/etc/acpi/events/power-button")?.content;
    assert.ok(rule, "images/os-services/image.yml ships /etc/acpi/events/power-button");
    writeFileSync(join(dir, "events", "power-button"), rule.replaceAll("/usr/bin/ros", wrapper));
    // The service's command line, with the test's rules folder.
    const [cmd, ...args] = (parse(readFileSync(join(REPO, "system-services/acpid/service.yml"), "utf8")) as ServiceConfig).command as string[];
    assert.equal(args[args.indexOf("-c") + 1], "/etc/acpi/events");
    args[args.indexOf("-c") + 1] = join(dir, "events");
    // The event file stands in for the kernel: held open here, acpid never sees its end.
    const fifo = join(dir, "event");
    spawnSync("mkfifo", [fifo]);
    const feed = openSync(fifo, "r+");
    const acpid = spawn(cmd!, [...args, "-e", fifo], { env: { ...process.env, ROS_INIT_PID: String(init.pid) }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(acpid);
    let log = "";
    acpid.stdout!.on("data", (d) => (log += d));
    acpid.stderr!.on("data", (d) => (log += d));
    try {
      await waitFor("acpid ready", 10_000, () => (/waiting for events/.test(log) ? true : undefined));
      assert.match(log, /1 rule loaded/);
      writeSync(feed, "button/lid LID close\nbutton/sleep SBTN 00000080 00000000\n");
      writeSync(feed, "button/power PBTN 00000080 00000000\n");
      await waitFor("SIGUSR2 at the stand-in", 60_000, () => (init.got.length ? true : undefined));
      await waitFor("the action's end", 10_000, () => (/action exited with status 0/.test(log) ? true : undefined));
      assert.deepEqual(init.got, ["SIGUSR2"], log);
      assert.equal(log.match(/^rule from .* matched$/gm)?.length, 1, `the rule matched once, on the power button: ${log}`);
    } finally {
      closeSync(feed);
      acpid.kill("SIGTERM");
    }
  });
});
