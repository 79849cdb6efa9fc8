// The journal service as it runs in the guest: `ros journal-init` from the bundle, against a real
// dockerd, the real `logger` and the real /dev/kmsg, with ROS_ROOT a temp tree (its /dev/log and
// /var/log/journal are temp files); read back with `ros logs`. The tests run in order and share the
// journal: container output, syslog, kernel messages, filters, follow, a restart of the service, a
// user Docker that comes later, and rotation set by config.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Docker from "dockerode";
import { parse } from "yaml";
import { bundleFile } from "../../build/bundle.ts";
import { journalFiles } from "../../system-services/journal/files.ts";
import { recordsFrom } from "../../system-services/journal/read.ts";
import type { JournalRecord } from "../../system-services/journal/record.ts";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { startTestDockerd, type TestDockerd } from "./dockerd.ts";

const IMAGE = "local/cj-bb:1";
const REPO = join(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "corral-cj-"));
const root = join(scratch, "root");
const journalDir = join(root, "var/log/journal");
const devLog = join(root, "dev/log");
const env = { ...process.env, ROS_ROOT: root };

// The bundle as the image ships it, built from this tree (dist/ may hold an older one).
const ROS = join(scratch, "ros.mjs");
await bundleFile(join(REPO, "os/cli/main.ts"), ROS);

for (const d of ["var/run/user-docker", "dev", "proc/sys/kernel/random", "var/lib/rancher/conf"]) mkdirSync(join(root, d), { recursive: true });
symlinkSync("/dev/kmsg", join(root, "dev/kmsg"));
// Copied by reading: procfs files have no size for a file copy to go by.
writeFileSync(join(root, "proc/sys/kernel/random/boot_id"), readFileSync("/proc/sys/kernel/random/boot_id"));
mkdirSync(join(scratch, "system"));
const system = await startTestDockerd(join(scratch, "system"));
symlinkSync(system.socket, join(root, "var/run/system-docker.sock"));
await importBusybox(system.docker, IMAGE);
let user: TestDockerd | undefined;

interface Running { child: ChildProcess; out: string[]; exited: Promise<number | null> }
let journal: Running | undefined;
const followers: ChildProcess[] = [];

after(async () => {
  for (const f of followers) f.kill("SIGKILL");
  if (journal) await stopJournal(journal);
  for (const d of [system, user]) {
    if (!d) continue;
    for (const c of await d.docker.listContainers({ all: true })) await d.docker.getContainer(c.Id).remove({ force: true });
    await d.stop();
  }
  rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) {
      const files = journalFiles(journalDir).map((f) => `${f.seq}: ${statSync(f.path).size} bytes`);
      const last = records().slice(-3).map((r) => `${r.unit}: ${r.message}`);
      assert.fail(`${what} within ${ms} ms; journal said:\n${journal?.out.join("")}files: ${files.join(", ")}; last records:\n${last.join("\n")}`);
    }
    await sleep(100);
  }
}

async function startJournal(): Promise<Running> {
  const child = spawn(process.execPath, [ROS, "journal-init"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  child.stdout!.on("data", (d) => out.push(String(d)));
  child.stderr!.on("data", (d) => out.push(String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const r = { child, out, exited };
  journal = r;
  await until("the journal listening on /dev/log", () => existsSync(devLog) && out.join("").includes("writing to"));
  return r;
}

async function stopJournal(j: Running): Promise<number | null> {
  if (j.child.exitCode === null) j.child.kill("SIGTERM");
  const code = await j.exited;
  journal = undefined;
  return code;
}

const records = (): JournalRecord[] => [...recordsFrom(journalDir)].map((x) => x.record);
const ofUnit = (unit: string) => records().filter((r) => r.unit === unit);
const ros = (args: string[]) => spawnSync(process.execPath, [ROS, ...args], { env, encoding: "utf8" });
const logsJson = (args: string[]): JournalRecord[] => {
  const r = ros(["logs", ...args, "-o", "json"]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
};

async function runContainer(docker: Docker, name: string, script: string, wait = true): Promise<string> {
  const c = await docker.createContainer({ name, Image: IMAGE, Cmd: ["sh", "-c", script], StopSignal: "SIGKILL", HostConfig: { NetworkMode: "none" } });
  await c.start();
  if (wait) await c.wait();
  return c.id;
}
const logger = (args: string[]) => {
  const r = spawnSync("logger", ["-u", devLog, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
};
const ticks = () => ofUnit("cj-web").map((r) => /^tick-(\d+)$/.exec(r.message)?.[1]).filter((t) => t !== undefined).map(Number);

let journalStarted = 0;

test("a container's output is captured: its name as the unit, stdout at info, stderr at err, what it wrote before the journal started too", async () => {
  const earlyId = await runContainer(system.docker, "cj-early", "echo early-out; echo early-err >&2");
  journalStarted = Date.now();
  await startJournal();
  const webId = await runContainer(system.docker, "cj-web", "echo web-out; echo web-err >&2; i=0; while :; do echo tick-$i; i=$((i+1)); usleep 200000; done", false);
  await until("the containers' lines in the journal", () => ofUnit("cj-web").length >= 3 && ofUnit("cj-early").length === 2);

  // Docker stamps stdout and stderr lines as it reads each pipe: their order is Docker's, not the script's.
  const byMessage = (rs: JournalRecord[]) => [...rs].sort((a, b) => a.message.localeCompare(b.message));
  const early = byMessage(ofUnit("cj-early"));
  assert.deepEqual(early.map((r) => [r.message, r.priority, r.fields.stream]), [["early-err", 3, "stderr"], ["early-out", 6, "stdout"]]);
  assert.deepEqual(early[1]!.fields, { transport: "docker", scope: "system", container_id: earlyId, stream: "stdout" });
  assert.ok(early[1]!.realtime < journalStarted * 1000, "stamped when the container wrote it, not when the journal read it");
  const web = byMessage(ofUnit("cj-web").filter((r) => !r.message.startsWith("tick-")));
  assert.deepEqual(web.map((r) => [r.message, r.priority]), [["web-err", 3], ["web-out", 6]]);
  assert.equal(web[0]!.fields.container_id, webId);
  assert.ok(Math.abs(web[0]!.realtime / 1000 - Date.now()) < 30_000);
});

test("syslog from the real logger on /dev/log: tag, pid, priority and facility, RFC 3164 and 5424", async () => {
  logger(["-t", "cj-tag", "-p", "daemon.err", "--id=4242", "syslog hello"]);
  logger(["--rfc5424", "-t", "cj-five", "-p", "local0.debug", "five hello"]);
  await until("both syslog lines", () => ofUnit("cj-tag").length === 1 && ofUnit("cj-five").length === 1);
  const [tag] = ofUnit("cj-tag");
  assert.equal(tag!.message, "syslog hello");
  assert.equal(tag!.priority, 3);
  assert.deepEqual(tag!.fields, { transport: "syslog", facility: 3, pid: 4242 });
  const [five] = ofUnit("cj-five");
  assert.equal(five!.message, "five hello");
  assert.equal(five!.priority, 7);
  assert.equal(five!.fields.facility, 16);

  // The service's health check, as service.yml runs it, aimed at this socket: up, and down when it is not there.
  const check = (parse(readFileSync(join(REPO, "system-services/journal/service.yml"), "utf8")) as { healthcheck: { test: string[] } }).healthcheck.test;
  assert.equal(check[0], "CMD");
  const probe = (path: string) => spawnSync(process.execPath, check.slice(2), { env: { ...process.env, DEV_LOG: path } }).status;
  assert.equal(probe(devLog), 0);
  assert.equal(probe(join(root, "dev/nothing")), 1);
});

test("kernel messages from /dev/kmsg: the ring from its start, and a line written now with its level and tag", async () => {
  const tag = `cj-kmsg-${process.pid}`;
  // A program's line, as early boot writes them; the kernel escapes the tab and the é, the reader undoes it.
  writeFileSync("/dev/kmsg", `<3>${tag}: hello\té\n`);
  await until("the line written to /dev/kmsg", () => ofUnit(tag).length === 1);
  const [mine] = ofUnit(tag);
  assert.equal(mine!.message, "hello\té");
  assert.equal(mine!.priority, 3);
  assert.equal(mine!.fields.transport, "kernel");
  assert.equal(mine!.fields.boot_id, readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  assert.ok(Math.abs(mine!.realtime / 1000 - Date.now()) < 30_000, "its boot-relative time turned into the time of day");
  const kernel = ofUnit("kernel");
  assert.ok(kernel.length > 0, "the kernel's own messages, from before the journal started");
  assert.ok(kernel.every((r) => r.fields.facility === undefined && typeof r.fields.seqnum === "number"));
});

test("ros logs: by unit, priority, since/until, the last N; short and json output; bad arguments said", async () => {
  const web = logsJson(["-u", "cj-web"]);
  assert.ok(web.length >= 3 && web.every((r) => r.unit === "cj-web"));
  assert.deepEqual(new Set(logsJson(["-u", "cj-early", "-u", "cj-tag"]).map((r) => r.unit)), new Set(["cj-early", "cj-tag"]));
  assert.deepEqual(logsJson(["-u", "cj-web", "-p", "err"]).map((r) => r.message), ["web-err"]);
  assert.deepEqual(logsJson(["-u", "cj-five", "-p", "info"]), [], "debug is less urgent than info");
  assert.ok(logsJson(["-p", "3"]).every((r) => r.priority <= 3));

  // The early container wrote before the journal started; the syslog lines came after.
  const at = new Date(journalStarted).toISOString();
  const since = new Set(logsJson(["--since", at, "-u", "cj-early", "-u", "cj-tag"]).map((r) => r.unit));
  assert.deepEqual(since, new Set(["cj-tag"]));
  const upTo = new Set(logsJson(["--until", at, "-u", "cj-early", "-u", "cj-tag"]).map((r) => r.unit));
  assert.deepEqual(upTo, new Set(["cj-early"]));
  assert.equal(logsJson(["--since", "-1h", "-u", "cj-tag"]).length, 1);
  assert.equal(logsJson(["--since", "1h ago", "--until", "30 min ago", "-u", "cj-tag"]).length, 0);

  for (let i = 1; i <= 5; i++) logger(["-t", "cj-n", `n-${i}`]);
  await until("five lines", () => ofUnit("cj-n").length === 5);
  assert.deepEqual(logsJson(["-u", "cj-n", "-n", "3"]).map((r) => r.message), ["n-3", "n-4", "n-5"], "the newest three, oldest first");
  assert.deepEqual(logsJson(["-u", "cj-n", "-n", "0"]), []);
  assert.equal(logsJson(["-u", "cj-n", "-n", "all"]).length, 5);

  const short = ros(["logs", "-u", "cj-tag"]);
  assert.match(short.stdout, /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ cj-tag\[4242\]: syslog hello\n$/);

  for (const [args, said] of [
    [["-p", "loud"], /ros logs: bad --priority: unknown priority "loud": use 0-7 or one of emerg/],
    [["--since", "soon"], /ros logs: bad --since: not a time: "soon" \(use a time like/],
    [["-n", "ten"], /ros logs: bad --lines: "ten" is not a number of lines/],
    [["-o", "xml"], /ros logs: bad --output "xml": use short or json/],
  ] as const) {
    const r = ros(["logs", ...args]);
    assert.equal(r.status, 1, args.join(" "));
    assert.match(r.stderr, said);
    assert.equal(r.stdout, "");
  }
});

/** `ros logs -f …` as a child; its lines so far. */
function follow(args: string[]): { lines: () => JournalRecord[] } {
  const child = spawn(process.execPath, [ROS, "logs", "-f", "-o", "json", ...args], { env, stdio: ["ignore", "pipe", "inherit"] });
  followers.push(child);
  let text = "";
  child.stdout!.on("data", (d) => (text += String(d)));
  // Only whole lines: the last may be mid-write.
  return { lines: () => text.split("\n").slice(0, -1).map((l) => JSON.parse(l) as JournalRecord) };
}

test("ros logs -f: the last lines, then a line logged after it started", async () => {
  logger(["-t", "cj-follow", "before"]);
  await until("the first line written", () => ofUnit("cj-follow").length === 1);
  const f = follow(["-u", "cj-follow"]);
  await until("the follower printing the line from before", () => f.lines().length === 1);
  logger(["-t", "cj-follow", "after"]);
  await until("the follower printing the new line", () => f.lines().length === 2);
  assert.deepEqual(f.lines().map((r) => r.message), ["before", "after"]);
});

test("a restart of the service: records kept, none repeated, what containers wrote meanwhile captured", async () => {
  const before = records().length;
  assert.equal(await stopJournal(journal!), 0, "SIGTERM: a clean exit");
  const ticksAtStop = ticks().length;
  await runContainer(system.docker, "cj-down", "echo while-down");
  await sleep(1500); // the ticking container keeps writing
  // Small caps for the rotation test below, read from the config at start.
  writeFileSync(join(root, "var/lib/rancher/conf/cloud-config.yml"), "rancher:\n  journal:\n    max_file_mb: 1\n    max_total_mb: 3\n");
  await startJournal();
  await until("the ticks resumed past the ones written while down", () => ticks().length > ticksAtStop + 10);
  await until("the line written while down", () => ofUnit("cj-down").length === 1);
  await sleep(1000); // anything repeated would have come by now

  const t = ticks();
  assert.deepEqual(t, t.map((_, i) => i), "every tick once, in order, none missing");
  assert.equal(ofUnit("cj-early").length, 2, "not read again");
  assert.equal(ofUnit("cj-tag").length, 1);
  const seqs = records().filter((r) => r.fields.transport === "kernel").map((r) => `${r.fields.boot_id}/${r.fields.seqnum}`);
  assert.equal(new Set(seqs).size, seqs.length, "no kernel record twice");
  assert.ok(records().length > before);
});

test("a user Docker that starts after the journal is picked up", async () => {
  mkdirSync(join(scratch, "user"));
  user = await startTestDockerd(join(scratch, "user"));
  symlinkSync(user.socket, join(root, "var/run/user-docker/docker.sock"));
  await importBusybox(user.docker, IMAGE);
  const id = await runContainer(user.docker, "cj-userbox", "echo from-user");
  await until("the user container's line", () => ofUnit("cj-userbox").length === 1, 20_000);
  assert.deepEqual(ofUnit("cj-userbox")[0]!.fields, { transport: "docker", scope: "user", container_id: id, stream: "stdout" });
});

test("rotation (rancher.journal caps): files of at most 1 MiB, the oldest dropped past 3 MiB, read across files in order, followed across rotation", async () => {
  const f = follow(["-u", "cj-flood", "-n", "0"]);
  await sleep(1000);
  const firstFile = journalFiles(journalDir)[0]!.seq;
  // About 250 bytes a record: 8000 lines fill two files, 20000 more pass the total cap.
  await runContainer(system.docker, "cj-flood", "seq 1 8000 | sed 's/^/flood-/'");
  await until("the follower printing the flood", () => f.lines().length === 8000 && ofUnit("cj-flood").length === 8000, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n(${ofUnit("cj-flood").length} in the journal, ${f.lines().length} followed)`);
  });
  assert.deepEqual(f.lines().map((r) => r.message), Array.from({ length: 8000 }, (_, i) => `flood-${i + 1}`), "every line once, in order, across files");
  assert.ok(journalFiles(journalDir).length >= 3, "rotated");

  await runContainer(system.docker, "cj-flood2", "seq 1 20000 | sed 's/^/flood2-/'");
  await until("the second flood written", () => logsJson(["-u", "cj-flood2", "-n", "1"])[0]?.message === "flood2-20000", 60_000);
  const files = journalFiles(journalDir);
  const sizes = files.map((x) => statSync(x.path).size);
  assert.ok(sizes.every((s) => s <= 1 << 20), `file sizes ${sizes.join(", ")}`);
  assert.ok(sizes.reduce((a, b) => a + b, 0) <= 3 << 20, `total ${sizes.reduce((a, b) => a + b, 0)}`);
  assert.ok(files[0]!.seq > firstFile, "the oldest files were deleted");
  assert.equal(ofUnit("cj-early").length, 0, "with what they held");
  const left = ofUnit("cj-flood2").map((r) => Number(r.message.slice("flood2-".length)));
  assert.ok(left.length > 1000);
  assert.deepEqual(left, left.map((_, i) => 20000 - left.length + 1 + i), "what is left is the newest, in order, none missing");
  assert.deepEqual(logsJson(["-u", "cj-flood2", "-n", "3"]).map((r) => r.message), ["flood2-19998", "flood2-19999", "flood2-20000"]);
});

/**
 * A real systemd-journald, as on a development host: it runs in its own mount namespace with the
 * tree's run/ as its /run, so its stdout socket is ROS_ROOT/run/systemd/journal/stdout and what it
 * stores lands in ROS_ROOT/run/log/journal, read back with journalctl.
 */
test("a systemd journald beside the journal gets a copy of each record, with its unit and priority; once it is gone the journal goes on", async (t) => {
  const run = join(root, "run");
  mkdirSync(run, { recursive: true });
  const journald = spawn("unshare", ["-m", "sh", "-c", `mount --bind ${run} /run && exec /lib/systemd/systemd-journald`], { stdio: ["ignore", "inherit", "inherit"] });
  const gone = new Promise((resolve) => journald.once("exit", resolve));
  t.after(() => journald.kill("SIGKILL"));
  await until("journald's stdout socket", () => existsSync(join(run, "systemd/journal/stdout")));
  const copies = (unit: string) => {
    const r = spawnSync("journalctl", ["-D", join(run, "log/journal"), "-o", "json", "--no-pager", "-t", unit], { encoding: "utf8" });
    return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { MESSAGE: string; PRIORITY: string; _TRANSPORT: string });
  };
  // The journal looks for the socket again some seconds after it found none: log until a copy arrives.
  await until("a syslog line copied to journald", () => {
    logger(["-t", "cj-fwd", "-p", "user.err", "to journald"]);
    return copies("cj-fwd").length > 0;
  }, 30_000);
  const [copy] = copies("cj-fwd");
  assert.equal(copy!.MESSAGE, "to journald");
  assert.equal(copy!.PRIORITY, "3");
  assert.equal(copy!._TRANSPORT, "stdout");
  await runContainer(system.docker, "cj-fwd-box", "echo out-to-journald; echo err-to-journald >&2");
  await until("the container's lines copied", () => copies("cj-fwd-box").length === 2, 20_000);
  assert.deepEqual(copies("cj-fwd-box").map((c) => [c.MESSAGE, c.PRIORITY]).sort(), [["err-to-journald", "3"], ["out-to-journald", "6"]]);
  assert.match(journal!.out.join(""), /forwarding to journald at .*run\/systemd\/journal\/stdout/);

  journald.kill("SIGKILL");
  await gone;
  logger(["-t", "cj-after-journald", "still kept"]);
  await until("a line logged after journald went", () => ofUnit("cj-after-journald").length === 1);
  assert.equal(journal!.child.exitCode, null, "the journal runs on");
});
