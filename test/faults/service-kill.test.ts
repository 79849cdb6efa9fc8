// A system service whose process is SIGKILLed again and again (an OOM kill, a crash) on a real
// dockerd, run by the service runner: it comes back every time, after pauses that grow (Docker's
// restart backoff: 100 ms, doubled each time); `ros service ps` calls it a crash loop restarting
// with backoff; and the service beside it is never touched: same container, same start, no restart.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";
import type { Status } from "../../os/services/status.ts";
import { privateBundle } from "../integration/private-bundle.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-faults-kill-"));
const root = join(scratch, "root");
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { up } = await import("../../os/services/runner.ts");
const { toServices } = await import("../../os/services/service.ts");
const { engines } = await import("../../os/services/engines.ts");
const { inspectNamed } = await import("../../os/services/named.ts");
const { restartPauses, startTestDockerd } = await import("../integration/dockerd.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");

const IMAGE = "local/bb:1";
const ROS = await privateBundle(scratch);
const dockerd = await startTestDockerd(join(scratch, "dockerd"));
const docker = dockerd.docker;
await importBusybox(docker, IMAGE);
// Where the CLI finds the system Docker on a host.
mkdirSync(dirname(paths.systemDockerSock), { recursive: true });
symlinkSync(dockerd.socket, paths.systemDockerSock);
after(async () => {
  for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });
  await dockerd.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const svc = (command: string): ServiceConfig => ({ image: IMAGE, command: ["sh", "-c", command], net: "none", labels: { "io.rancher.os.scope": "system" } });
const DEFS = { victim: svc("exec sleep 3600"), bystander: svc("exec sleep 3600") };
/** Docker's restart manager: the first restart waits 100 ms, each one after twice as long. */
const FIRST_DELAY_MS = 100;
const KILLS = 6;

const inspect = async (name: string) => (await inspectNamed(docker, name)) ?? assert.fail(`no container ${name}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ros service ps -o json`, by service name. */
function ps(): Promise<Record<string, Status>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ROS, "service", "ps", "-o", "json"], { env: { ...process.env, ROS_ROOT: root }, stdio: ["ignore", "pipe", "pipe"] });
    let [out, err] = ["", ""];
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Object.fromEntries((JSON.parse(out) as Status[]).map((s) => [s.name, s]))) : reject(new Error(`ros service ps exited ${code}: ${err}`))));
  });
}

test(`a system service SIGKILLed ${KILLS} times comes back each time with growing pauses; ps says so; the other is untouched`, { timeout: 120_000 }, async (t) => {
  mkdirSync(paths.confDir, { recursive: true });
  writeFileSync(paths.cloudConfig, `rancher:\n  services: ${JSON.stringify(DEFS)}\n`);
  const out = await up(toServices(DEFS), engines(docker));
  assert.deepEqual(out.map((o) => [o.name, o.result]).sort(), [["bystander", "started"], ["victim", "started"]]);
  const before = await inspect("bystander");
  const since = Math.floor(Date.now() / 1000);

  let status: Record<string, Status> | undefined;
  for (let kill = 1; kill <= KILLS; kill++) {
    const was = await inspect("victim");
    assert.ok(was.State.Running && was.State.Pid > 0, `kill ${kill}: the victim is not running`);
    process.kill(was.State.Pid, "SIGKILL");
    // Back within the longest pause Docker takes by then (plus time to start), as a new start.
    const until = Date.now() + FIRST_DELAY_MS * 2 ** kill + 15_000;
    let now = was;
    while (!(now.State.Running && now.State.StartedAt !== was.State.StartedAt) && Date.now() < until) {
      // The last pause (3.2 s) is long enough for the CLI to look while Docker waits.
      if (kill === KILLS && status === undefined && now.State.Restarting) status = await ps();
      await sleep(50);
      now = await inspect("victim");
    }
    assert.ok(now.State.Running && now.State.StartedAt !== was.State.StartedAt, `kill ${kill}: not restarted: ${JSON.stringify(now.State)}`);
    assert.equal(now.RestartCount, kill, `kill ${kill}: Docker's restart count`);
  }

  // Restarted moments ago, so not yet stable: still a crash loop, now running.
  const settled = await ps();
  assert.deepEqual([settled.victim!.state, settled.victim!.detail, settled.victim!.restarts], ["crash-loop", undefined, KILLS]);

  // The pause between each death and the next start, from Docker's own events.
  const pauses = await restartPauses(docker, "victim", since, Math.floor(Date.now() / 1000) + 1);
  t.diagnostic(`pauses: ${pauses.map((p) => p.toFixed(0)).join(", ")} ms`);
  assert.equal(pauses.length, KILLS, `one restart per kill: ${pauses.join(", ")}`);
  // Never sooner than the backoff allows, and the pause keeps growing.
  pauses.forEach((p, i) => assert.ok(p >= FIRST_DELAY_MS * 2 ** i * 0.9, `restart ${i + 1} after ${p.toFixed(0)} ms, sooner than its backoff`));
  assert.ok(pauses[KILLS - 1]! > 4 * pauses[0]!, `the pauses do not grow: ${pauses.map((p) => p.toFixed(0)).join(", ")}`);

  assert.ok(status, "ps never ran while Docker was waiting to restart");
  assert.equal(status.victim!.state, "crash-loop", JSON.stringify(status.victim));
  assert.equal(status.victim!.detail, "restarting with backoff");
  assert.ok(status.victim!.restarts >= KILLS - 1, JSON.stringify(status.victim));
  assert.deepEqual([status.bystander!.state, status.bystander!.restarts], ["running", 0]);

  // The bystander: the same container, started once, never restarted.
  const after = await inspect("bystander");
  assert.equal(after.Id, before.Id);
  assert.equal(after.State.StartedAt, before.State.StartedAt);
  assert.equal(after.RestartCount, 0);
  assert.equal(after.State.Running, true);
});
