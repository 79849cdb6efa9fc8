// `ros ntp-init` as the ntp service runs it, against a real chronyd serving time: two network
// namespaces joined by a veth pair, one with a chronyd serving its own clock (local stratum 8), the
// other with ros ntp-init's chronyd, configured from the ntp key. Both run with -x: neither touches
// this machine's clock. The service's own health check is run against each state.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { processAlive } from "../../os/process-alive.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const NS = { server: "corral-cp-ntps", client: "corral-cp-ntpc" };
const LINK = { server: "cp-ntps0", client: "cp-ntpc0" };
const SERVER_IP = "10.251.123.1";
const CLIENT_IP = "10.251.123.2";
const SYNC_TIMEOUT_MS = 60_000;

const scratch = mkdtempSync(join(tmpdir(), "corral-cp-ntp-"));
// chronyd drops root: its drift file's folder must be reachable by its user.
chmodSync(scratch, 0o755);
const children: ChildProcess[] = [];

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
const inNs = (ns: string, cmd: string[]) => ["netns", "exec", ns, ...cmd];

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A process group of its own, so a failing test still leaves nothing behind. */
function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { output: () => string } {
  const child = spawn("ip", args, { cwd: REPO, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  children.push(child);
  return Object.assign(child, { output: () => out });
}

const exited = (c: ChildProcess, ms: number) =>
  new Promise<number | null>((resolve, reject) => {
    if (c.exitCode !== null) return resolve(c.exitCode);
    const t = setTimeout(() => reject(new Error(`still running after ${ms / 1000} s`)), ms);
    c.once("exit", (code) => (clearTimeout(t), resolve(code)));
  });

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** service.yml's health check, with its paths moved under `root` and chronyc aimed at `root`'s socket. */
function healthCheck(root: string): number | null {
  const def = parse(readFileSync(join(REPO, "system-services/ntp/service.yml"), "utf8")) as { healthcheck: { test: string[] } };
  const [kind, line] = def.healthcheck.test;
  assert.equal(kind, "CMD-SHELL");
  const local = line!.replaceAll("/run/", `${root}/run/`).replace("chronyc ", `chronyc -h ${root}/run/chrony/chronyd.sock `);
  return spawnSync("sh", ["-c", local]).status;
}

function ntpInit(root: string, config: string) {
  write(join(root, "var/lib/rancher/conf/cloud-config.yml"), config);
  return start(inNs(NS.client, [process.execPath, "--import", "tsx", "os/cli/main.ts", "ntp-init", "-x"]), { ROS_ROOT: root });
}

before(() => {
  for (const ns of Object.values(NS)) {
    spawnSync("ip", ["netns", "del", ns]);
    sh("ip", ["netns", "add", ns]);
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  }
  sh("ip", ["-n", NS.server, "link", "add", LINK.server, "type", "veth", "peer", "name", LINK.client, "netns", NS.client]);
  sh("ip", ["-n", NS.server, "addr", "add", `${SERVER_IP}/30`, "dev", LINK.server]);
  sh("ip", ["-n", NS.client, "addr", "add", `${CLIENT_IP}/30`, "dev", LINK.client]);
  sh("ip", ["-n", NS.server, "link", "set", LINK.server, "up"]);
  sh("ip", ["-n", NS.client, "link", "set", LINK.client, "up"]);
  const dir = join(scratch, "server");
  write(join(dir, "chrony.conf"), ["local stratum 8", "allow all", `pidfile ${dir}/chronyd.pid`, `bindcmdaddress ${dir}/run/chronyd.sock`, "cmdport 0", ""].join("\n"));
  start(inNs(NS.server, ["chronyd", "-d", "-x", "-f", join(dir, "chrony.conf")]));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const ns of Object.values(NS)) spawnSync("ip", ["netns", "del", ns]);
  rmSync(scratch, { recursive: true, force: true });
});

test("ros ntp-init's chronyd, configured from ntp.servers, selects the server; SIGTERM stops it cleanly", { timeout: 120_000 }, async () => {
  const root = join(scratch, "on");
  const sock = join(root, "run/chrony/chronyd.sock");
  const svc = ntpInit(root, `ntp:\n  enabled: true\n  servers: [${SERVER_IP}]\n`);
  const selected = await until("the server selected as the source", SYNC_TIMEOUT_MS, () => {
    if (svc.exitCode !== null) throw new Error(`ros ntp-init exited (${svc.exitCode}): ${svc.output()}`);
    const r = spawnSync("ip", inNs(NS.client, ["chronyc", "-h", sock, "-n", "-c", "sources"]), { encoding: "utf8" });
    return r.stdout.split("\n").find((l) => l.startsWith(`^,*,${SERVER_IP},`));
  });
  // Selected, from the server's stratum 8, and reachable (its reach register is not empty).
  const [, , , stratum, , reach] = selected.split(",");
  assert.equal(stratum, "8");
  assert.notEqual(reach, "0");

  const conf = readFileSync(join(root, "run/chrony.conf"), "utf8");
  assert.match(conf, new RegExp(`^server ${SERVER_IP.replaceAll(".", "\\.")} iburst$`, "m"));
  assert.doesNotMatch(conf, /^pool /m, "no default pool when a server is named");
  assert.match(svc.output(), /chronyd -d -f \S+\/run\/chrony\.conf -x/);
  assert.equal(healthCheck(root), 0, "healthy once chronyd answers");

  const chronyd = Number(readFileSync(join(root, "run/chrony/chronyd.pid"), "utf8"));
  process.kill(svc.pid!, "SIGTERM");
  assert.equal(await exited(svc, 15_000), 0, svc.output());
  assert.equal(processAlive(chronyd), false, "chronyd stopped with the service");
  // chronyd saves what it learnt on its way out, as its own user, where the service keeps it.
  assert.ok(existsSync(join(root, "var/lib/chrony/chrony.drift")), svc.output());
  assert.notEqual(statSync(join(root, "var/lib/chrony")).uid, 0);
  assert.notEqual(healthCheck(root), 0, "unhealthy once chronyd is gone");
});

test("ntp.enabled false: no chronyd, the service idles healthy and exits 0 on SIGTERM", { timeout: 60_000 }, async () => {
  const root = join(scratch, "off");
  const svc = ntpInit(root, "ntp:\n  enabled: false\n  servers: [" + SERVER_IP + "]\n");
  await until("the idle marker", 30_000, () => (existsSync(join(root, "run/ntp-disabled")) ? true : undefined));
  assert.equal(healthCheck(root), 0);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(svc.exitCode, null, "it idles rather than exits (restart: always would start it again and again)");
  assert.equal(existsSync(join(root, "run/chrony.conf")), false, "no chronyd configured");
  assert.match(svc.output(), /ntp\.enabled is false/);
  process.kill(svc.pid!, "SIGTERM");
  assert.equal(await exited(svc, 10_000), 0);
});
