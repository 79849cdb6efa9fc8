// container-cron against real dockerds: labelled containers started on their schedule, the other
// actions, containers that come and go while it watches, bad labels reported once and nothing else
// disturbed, and a user Docker that appears only after the watcher started.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, beforeEach, test } from "node:test";
import Docker from "dockerode";
import { startContainerCron, type ContainerCron } from "../../system-services/container-cron/index.ts";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { startTestDockerd, type TestDockerd } from "./dockerd.ts";

const IMAGE = "local/bb:1";
const EVERY_2S = "*/2 * * * * *";
const dir = mkdtempSync(join(tmpdir(), "corral-cron-"));
const dockerdIn = (name: string) => {
  mkdirSync(join(dir, name), { recursive: true });
  return startTestDockerd(join(dir, name));
};
const system = await dockerdIn("system");
await importBusybox(system.docker, IMAGE);
let user: TestDockerd | undefined;
let cron: ContainerCron | undefined;
const lines: string[] = [];

after(async () => {
  await cron?.stop();
  await user?.stop();
  await system.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await cron?.stop();
  cron = undefined;
  lines.length = 0;
  for (const c of await system.docker.listContainers({ all: true })) await system.docker.getContainer(c.Id).remove({ force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const watch = (engines: { name: string; docker: Docker }[]) => (cron = startContainerCron(engines, { log: (l) => lines.push(l), retryMs: 200 }));
const onSystem = () => watch([{ name: "system", docker: system.docker }]);

interface Made { name: string; labels: Record<string, string>; cmd?: string; running?: boolean }
/** A busybox container; short-lived (`date >> /tmp/x`) unless a command is given. SIGKILL so restarts and stops are quick. */
async function make(docker: Docker, m: Made): Promise<void> {
  const c = await docker.createContainer({ name: m.name, Image: IMAGE, Cmd: ["sh", "-c", m.cmd ?? "date >> /tmp/x"], Labels: m.labels, StopSignal: "SIGKILL", HostConfig: { NetworkMode: "none" } });
  if (m.running) await c.start();
}

/** When `name` was started (ms), from Docker's own events since `sinceMs`. */
async function starts(docker: Docker, name: string, sinceMs: number): Promise<number[]> {
  const events = await docker.getEvents({ since: sinceMs / 1000, until: Date.now() / 1000, filters: { container: [name], event: ["start"] } });
  const times: number[] = [];
  for await (const chunk of events as unknown as AsyncIterable<Buffer>) {
    for (const line of chunk.toString().split("\n").filter(Boolean)) times.push((JSON.parse(line) as { timeNano: number }).timeNano / 1e6);
  }
  return times;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 6000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`${what} within ${ms} ms; log:\n${lines.join("\n")}`);
    await sleep(100);
  }
}

test("a labelled container is started at each scheduled time; one made later is picked up", async () => {
  const t0 = Date.now();
  await make(system.docker, { name: "tick", labels: { "cron.schedule": EVERY_2S } });
  onSystem();
  await sleep(1000);
  await make(system.docker, { name: "late", labels: { "cron.schedule": EVERY_2S } });
  await sleep(6000);

  // A 7 s window holds 3 or 4 even seconds: one start for each, none doubled. (Docker's own start
  // time varies by hundreds of ms under load, so the gaps between starts are not measured.)
  const ticks = (await starts(system.docker, "tick", t0)).length;
  assert.ok(ticks >= 3 && ticks <= 4, `tick started ${ticks} times in 7 s`);
  assert.ok((await starts(system.docker, "late", t0)).length >= 2, "the container made after the watcher started is run too");
  assert.ok(lines.includes(`started tick (schedule ${EVERY_2S}, system Docker)`), lines.join("\n"));
  assert.deepEqual(cron!.scheduled().map((j) => [j.name, j.schedule, j.action]).sort(), [["late", EVERY_2S, "start"], ["tick", EVERY_2S, "start"]]);
});

test("restart and stop act on running containers; start leaves a running one alone", async () => {
  const t0 = Date.now();
  await make(system.docker, { name: "again", labels: { "cron.schedule": EVERY_2S, "cron.action": "restart" }, cmd: "sleep 600", running: true });
  await make(system.docker, { name: "halt", labels: { "cron.schedule": EVERY_2S, "cron.action": "stop" }, cmd: "sleep 600", running: true });
  await make(system.docker, { name: "busy", labels: { "cron.schedule": EVERY_2S }, cmd: "sleep 600", running: true });
  onSystem();
  await until("halt stopped", async () => !(await system.docker.getContainer("halt").inspect()).State.Running);
  await until("two restarts of again", async () => (await starts(system.docker, "again", t0)).length >= 3);
  await until("the already-stopped and already-running runs logged", () => lines.some((l) => l.startsWith("halt was already stopped")) && lines.some((l) => l.startsWith("busy was already running")));
  assert.ok(lines.includes(`restarted again (schedule ${EVERY_2S}, system Docker)`));
  assert.ok(lines.includes(`stopped halt (schedule ${EVERY_2S}, system Docker)`));
  assert.equal((await starts(system.docker, "busy", t0)).length, 1, "busy was started once, by the test");
});

test("a removed container is forgotten; a bad label is reported once and the others run on", async () => {
  const t0 = Date.now();
  await make(system.docker, { name: "keeps", labels: { "cron.schedule": EVERY_2S } });
  await make(system.docker, { name: "goes", labels: { "cron.schedule": EVERY_2S } });
  await make(system.docker, { name: "typo", labels: { "cron.schedule": "61 * * * *" } });
  await make(system.docker, { name: "odd", labels: { "cron.schedule": "@hourly", "cron.action": "kill" } });
  onSystem();
  await until("goes started", async () => (await starts(system.docker, "goes", t0)).length >= 1);
  await system.docker.getContainer("goes").remove({ force: true });
  await until("goes forgotten", () => !cron!.scheduled().some((j) => j.name === "goes"), 3000);
  // More listings (each create and destroy makes one) must not repeat the reports.
  await make(system.docker, { name: "churn", labels: { "cron.schedule": "@yearly" } });
  await system.docker.getContainer("churn").remove({ force: true });
  const t1 = Date.now();
  await sleep(4500);

  assert.equal(lines.filter((l) => l.startsWith("typo:")).length, 1, lines.join("\n"));
  assert.match(lines.find((l) => l.startsWith("typo:"))!, /^typo: bad cron.schedule "61 \* \* \* \*": .*61.*; not scheduled \(system Docker\)$/);
  assert.equal(lines.filter((l) => l.startsWith("odd:")).length, 1);
  assert.match(lines.find((l) => l.startsWith("odd:"))!, /bad cron.action "kill"/);
  assert.ok(!lines.some((l) => /could not/.test(l)), `nothing failed after the removal:\n${lines.join("\n")}`);
  assert.ok((await starts(system.docker, "keeps", t1)).length >= 2, "keeps is still started on schedule");
  assert.deepEqual(cron!.scheduled().map((j) => j.name), ["keeps"]);
});

test("a user Docker that is not there yet is waited for quietly, then watched; one that goes is let go", async () => {
  const userSocket = join(dir, "user", "docker.sock");
  const t0 = Date.now();
  await make(system.docker, { name: "sys", labels: { "cron.schedule": EVERY_2S } });
  watch([
    { name: "system", docker: system.docker },
    { name: "user", docker: new Docker({ socketPath: userSocket }) },
  ]);
  await until("sys started", async () => (await starts(system.docker, "sys", t0)).length >= 1);
  assert.ok(!lines.some((l) => /user/.test(l)), `nothing said about the absent user Docker:\n${lines.join("\n")}`);

  user = await dockerdIn("user");
  await importBusybox(user.docker, IMAGE);
  const t1 = Date.now();
  // Stopped by its schedule, then left stopped: no container start can race the daemon's shutdown
  // below (one killed mid-start leaves its overlay mounted).
  await make(user.docker, { name: "app", labels: { "cron.schedule": EVERY_2S, "cron.action": "stop" }, cmd: "sleep 600", running: true });
  await until("app on the user Docker stopped, then found stopped", () => lines.some((l) => l.startsWith("app was already stopped")), 8000);
  assert.ok(lines.includes("watching the user Docker"));
  assert.ok(lines.includes(`stopped app (schedule ${EVERY_2S}, user Docker)`), lines.join("\n"));

  await user.stop();
  user = undefined;
  await until("the user Docker's job dropped", () => !cron!.scheduled().some((j) => j.engine === "user"), 3000);
  assert.ok(lines.includes("lost the user Docker; waiting for it"));
  // Its 2 s schedule goes on while the user Docker comes and goes (a loaded host may start it late).
  await until("the system Docker's container started again since the user Docker came", async () => (await starts(system.docker, "sys", t1)).length >= 2, 10_000);
});
