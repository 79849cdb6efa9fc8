// The console's sshd as `ros console-init` prepares it (host keys, config rendered from rancher.ssh,
// `sshd -t`, fallback), then the real /usr/sbin/sshd run with that config and the real ssh client
// logging in. Everything runs inside a network namespace of the test's own, in a private mount
// namespace where /run is a tmpfs (sshd's privilege separation folder, which this machine lacks) and
// /etc/passwd is a copy with one test user whose home is in the temp tree: the machine's users,
// /etc/ssh and links are never touched.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";

const REPO = join(import.meta.dirname, "../..");
const NS = `corral-cs-${process.pid}`;
const USER = "csuser";
const UID = 4242;
const NOGROUP = 65534;

const scratch = mkdtempSync(join(tmpdir(), "corral-cs-"));
const home = join(scratch, "home", USER);
const passwd = join(scratch, "passwd");
const clientKey = join(scratch, "client_key");

function sh(cmd: string, args: string[], timeout = 20_000) {
  const env = { ...process.env };
  // The client must use only the key it is given.
  delete env.SSH_AUTH_SOCK;
  return spawnSync(cmd, args, { encoding: "utf8", timeout, env });
}
function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** What `ros console-init` does before it starts sshd, then sshd itself: the console in miniature. */
const DRIVER = `
const { prepareSshd } = await import(${JSON.stringify(join(REPO, "system-services/console/sshd.ts"))});
process.exitCode = (await prepareSshd(JSON.parse(process.env.CS_CONFIG), 1000)) ? 0 : 3;`;
const WRAPPER = `set -e
mount -t tmpfs corral-cs /run
mkdir -m 0755 /run/sshd
mount --bind "$CS_PASSWD" /etc/passwd
rc=0; node --import tsx --input-type=module -e "$CS_DRIVER" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
exec /usr/sbin/sshd -D -e -f "$ROS_ROOT/etc/ssh/sshd_config"`;

interface Console {
  proc: ChildProcess;
  /** The driver's log lines and sshd's stderr, so far. */
  output: () => string;
  exited: Promise<number | null>;
}
let running: Console | undefined;

/** Prepares and starts sshd under `root` with `config`; resolves once sshd listens, or the driver exits. */
async function startConsole(root: string, config: CloudConfig): Promise<Console> {
  // One console at a time, as on a host (a failed test may have left its own running).
  await stopConsole();
  const proc = spawn("ip", ["netns", "exec", NS, "unshare", "--mount", "--propagation", "private", "sh", "-c", WRAPPER], {
    cwd: REPO,
    env: { ...process.env, ROS_ROOT: root, CS_CONFIG: JSON.stringify(config), CS_DRIVER: DRIVER, CS_PASSWD: passwd },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on("close", resolve));
  const c: Console = { proc, output: () => out, exited };
  running = c;
  const deadline = Date.now() + 30_000;
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !/Server listening on/.test(out)) {
    if (Date.now() > deadline) throw new Error(`sshd did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return c;
}

async function stopConsole(): Promise<void> {
  if (!running) return;
  const c = running;
  running = undefined;
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGTERM");
  await c.exited;
}

/** ssh from inside the namespace as the test user; `hostKey` pins the server's key (strict checking). */
function ssh(address: string, port: number, opts: { hostKey?: string; extra?: string[] } = {}) {
  const knownHosts = join(scratch, "known_hosts");
  const host = port === 22 ? address : `[${address}]:${port}`;
  writeFileSync(knownHosts, opts.hostKey ? `${host} ${opts.hostKey}\n` : "");
  return sh("ip", [
    "netns", "exec", NS, "ssh", "-F", "/dev/null", "-i", clientKey, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=5", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", `StrictHostKeyChecking=${opts.hostKey ? "yes" : "no"}`, "-p", String(port), ...(opts.extra ?? []),
    `${USER}@${address}`, "echo", "logged-in-as-$(id -un)",
  ]);
}

/** The host keys sshd offers at address:port, as "algorithm base64" lines, sorted. */
function offeredKeys(address: string, port: number): string[] {
  const r = sh("ip", ["netns", "exec", NS, "ssh-keyscan", "-T", "5", "-p", String(port), address]);
  return r.stdout.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(" ").slice(1, 3).join(" ")).sort();
}

const pubOf = (file: string) => readFileSync(file, "utf8").trim().split(" ").slice(0, 2).join(" ");
const keysDir = (root: string) => join(root, "var/lib/rancher/conf/ssh");
const generatedPub = (root: string) => pubOf(join(keysDir(root), "ssh_host_ed25519_key.pub"));

let roots = 0;
function newRoot(): string {
  const root = join(scratch, `root-${++roots}`);
  mkdirSync(root);
  return root;
}

before(() => {
  // sshd reads authorized_keys as the user, who must be able to walk down to its home.
  chmodSync(scratch, 0o755);
  must("ip", ["netns", "add", NS]);
  must("ip", ["-n", NS, "link", "set", "lo", "up"]);
  mkdirSync(home, { recursive: true, mode: 0o755 });
  mkdirSync(join(home, ".ssh"), { mode: 0o700 });
  must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "corral-cs-client", "-f", clientKey]);
  writeFileSync(join(home, ".ssh/authorized_keys"), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  for (const p of [home, join(home, ".ssh"), join(home, ".ssh/authorized_keys")]) chownSync(p, UID, NOGROUP);
  writeFileSync(passwd, `${readFileSync("/etc/passwd", "utf8").trimEnd()}\n${USER}:x:${UID}:${NOGROUP}:corral test:${home}:/bin/sh\n`);
});

after(async () => {
  await stopConsole();
  sh("ip", ["netns", "del", NS]);
  rmSync(scratch, { recursive: true, force: true });
});

describe("defaults and persisted host keys", () => {
  const root = newRoot();
  let firstKey: string;

  test("no rancher.ssh: sshd on port 22, a key login works, the host key is generated and kept with the config", async () => {
    await startConsole(root, {});
    firstKey = generatedPub(root);
    const r = ssh("127.0.0.1", 22, { hostKey: firstKey });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `logged-in-as-${USER}`);
    assert.deepEqual(offeredKeys("127.0.0.1", 22), [firstKey]);
    assert.equal(statSync(join(keysDir(root), "ssh_host_ed25519_key")).mode & 0o777, 0o600);
    assert.equal(statSync(keysDir(root)).mode & 0o777, 0o700);
  });

  test("a password login is refused: the server offers publickey only", () => {
    const r = ssh("127.0.0.1", 22, { extra: ["-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no"] });
    assert.equal(r.status, 255, r.stdout);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
  });

  test("a new console container (fresh /etc/ssh) offers the same host key", async () => {
    await stopConsole();
    rmSync(join(root, "etc"), { recursive: true, force: true });
    await startConsole(root, {});
    assert.equal(generatedPub(root), firstKey);
    const r = ssh("127.0.0.1", 22, { hostKey: firstKey });
    assert.equal(r.status, 0, r.stderr);
    await stopConsole();
  });

  test("rancher.ssh.keys installs the given keys instead (a |- block without its final newline too)", async () => {
    const given = join(scratch, "given_ed25519");
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "given", "-f", given]);
    const givenEcdsa = join(scratch, "given_ecdsa");
    must("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", givenEcdsa]);
    const c = await startConsole(root, {
      rancher: {
        ssh: {
          keys: {
            ssh_host_ed25519_key: readFileSync(given, "utf8").trimEnd(),
            "ssh_host_ed25519_key.pub": readFileSync(`${given}.pub`, "utf8"),
            ssh_host_ecdsa_key: readFileSync(givenEcdsa, "utf8"),
          },
        },
      },
    });
    assert.deepEqual(offeredKeys("127.0.0.1", 22), [pubOf(`${givenEcdsa}.pub`), pubOf(`${given}.pub`)].sort());
    assert.equal(ssh("127.0.0.1", 22, { hostKey: pubOf(`${given}.pub`) }).status, 0);
    const pinnedOld = ssh("127.0.0.1", 22, { hostKey: firstKey, extra: ["-o", "HostKeyAlgorithms=ssh-ed25519"] });
    assert.equal(pinnedOld.status, 255, "the generated key must no longer be offered");
    assert.match(pinnedOld.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    for (const f of ["ssh_host_ed25519_key", "ssh_host_ecdsa_key"]) assert.equal(statSync(join(keysDir(root), "configured", f)).mode & 0o777, 0o600, f);
    assert.equal(readFileSync(join(keysDir(root), "configured/ssh_host_ed25519_key.pub"), "utf8"), readFileSync(`${given}.pub`, "utf8"));
    assert.doesNotMatch(c.output(), /rancher\.ssh\.keys/);
    await stopConsole();
  });

  test("a malformed key is an error naming it, and the generated key stands in", async () => {
    const c = await startConsole(root, {
      rancher: { ssh: { keys: { ssh_host_ed25519_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----", ssh_host_rsa_key: "junk" } } },
    });
    assert.match(c.output(), /rancher\.ssh\.keys\.ssh_host_ed25519_key: not a usable private key .*; using the generated key/);
    assert.match(c.output(), /rancher\.ssh\.keys\.ssh_host_rsa_key: not a usable private key .*; ignored/);
    assert.deepEqual(offeredKeys("127.0.0.1", 22), [firstKey]);
    // The keys of the previous config are gone from disk, not merely unused.
    assert.deepEqual(readdirSync(join(keysDir(root), "configured")), []);
    await stopConsole();
  });
});

describe("where sshd listens", () => {
  test("port and listen_address are honoured; other addresses and ports are refused", async () => {
    const root = newRoot();
    const c = await startConsole(root, { rancher: { ssh: { port: 2201, listen_address: "127.0.0.2" } } });
    assert.match(c.output(), /sshd on 127\.0\.0\.2 port 2201/);
    const key = generatedPub(root);
    const r = ssh("127.0.0.2", 2201, { hostKey: key });
    assert.equal(r.status, 0, r.stderr);
    for (const [address, port] of [["127.0.0.1", 2201], ["127.0.0.2", 22]] as const) {
      const refused = ssh(address, port, { hostKey: key });
      assert.equal(refused.status, 255, `${address}:${port}`);
      assert.match(refused.stderr, /Connection refused/, `${address}:${port}`);
    }
    await stopConsole();
  });

  test("a listen_address that is not on the host falls back to port 22 on every address, with the reason logged", async () => {
    const root = newRoot();
    const c = await startConsole(root, { rancher: { ssh: { port: 2202, listen_address: "192.0.2.1" } } });
    assert.match(c.output(), /cannot listen on 192\.0\.2\.1 port 2202: the address is not on this host; falling back to sshd on port 22 on every address/);
    assert.equal(ssh("127.0.0.1", 22, { hostKey: generatedPub(root) }).status, 0);
    assert.match(ssh("127.0.0.1", 2202).stderr, /Connection refused/);
    await stopConsole();
  });

  test("a value sshd refuses (one the schema would have stopped) falls back too, with sshd's reason", async () => {
    const root = newRoot();
    const c = await startConsole(root, { rancher: { ssh: { port: 70000 } } });
    assert.match(c.output(), /sshd refuses port 70000 on every address: .*Badly formatted port number.*; falling back to sshd on port 22/);
    assert.equal(ssh("127.0.0.1", 22, { hostKey: generatedPub(root) }).status, 0);
    assert.doesNotMatch(readFileSync(join(root, "etc/ssh/sshd_config"), "utf8"), /70000/);
    await stopConsole();
  });

  test("rancher.ssh.daemon: false runs no sshd, and says so", async () => {
    const root = newRoot();
    const c = await startConsole(root, { rancher: { ssh: { daemon: false } } });
    assert.equal(await c.exited, 3, c.output());
    assert.match(c.output(), /rancher\.ssh\.daemon is false: no sshd/);
    assert.match(ssh("127.0.0.1", 22).stderr, /Connection refused/);
    assert.equal(existsSync(keysDir(root)), false, "no host key is generated for an sshd that never runs");
  });
});

/**
 * The console container itself (its image, `ros console-init`, its health check) on a test Docker,
 * killed and started again with the last run's files in its /run, as after a hard reset: its ready
 * mark, and an sshd PID file naming a live process (PIDs restart low after a boot). It must report
 * healthy only once its new sshd answers. It runs in a network namespace of its own (the machine's
 * port 22 stays untouched) and without the host's /dev (no getty on the machine's terminals);
 * sshd's listen_address is put on its loopback only when the test says, so the time before sshd
 * listens is as long as the test needs to watch the health check.
 */
describe("a restarted console container", () => {
  const root = mkdtempSync(join(tmpdir(), "corral-console-root-"));
  const dockerdDir = mkdtempSync(join(tmpdir(), "corral-console-dockerd-"));
  const ADDRESS = "10.99.0.1";
  const PORT = 2222;
  const IMAGE_TAR = join(REPO, "dist/images/os-console.tar");
  type Modules = {
    dockerd: Awaited<ReturnType<typeof import("./dockerd.ts").startTestDockerd>>;
    named: typeof import("../../os/services/named.ts");
  };
  let m: Modules | undefined;

  before(async () => {
    assert.ok(existsSync(IMAGE_TAR), `${IMAGE_TAR} is missing: build the images first (npm run build:image)`);
    // Only this section's modules read ROS_ROOT (the consoles above get theirs in their environment).
    process.env.ROS_ROOT = root;
    const { startTestDockerd } = await import("./dockerd.ts");
    const { loadImageArchive } = await import("../../os/load-image.ts");
    m = { dockerd: await startTestDockerd(dockerdDir), named: await import("../../os/services/named.ts") };
    await loadImageArchive(m.dockerd.docker, IMAGE_TAR);
  });

  after(async () => {
    if (m) {
      await (await m.named.containerNamed(m.dockerd.docker, "console"))?.remove({ force: true });
      await m.dockerd.stop();
    }
    const { unmountUnder } = await import("./dockerd.ts");
    await unmountUnder(root);
    rmSync(dockerdDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  /** The console's service definition as the image has it, less what would reach the machine itself. */
  async function consoleService(): Promise<import("../../cloud-config/schema/index.ts").ServiceConfig> {
    const { parse } = await import("yaml");
    const { osConfigText } = await import("../../build/os-config.ts");
    const { version } = await import("../../build/bundle.ts");
    const { paths } = await import("../../os/paths.ts");
    const text = osConfigText(version());
    for (const [file, content] of [[paths.osConfig, text], [paths.cloudConfig, `rancher:\n  ssh:\n    port: ${PORT}\n    listen_address: ${ADDRESS}\n`], [paths.resolvConf, "nameserver 127.0.0.1\n"]] as const) {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, content);
    }
    const def = structuredClone((parse(text) as CloudConfig).rancher!.services!.console!);
    def.net = "none";
    delete def.privileged;
    def.volumes = def.volumes!.filter((v) => !/^\/(dev|lib\/modules|var\/run\/system-docker\.sock):/.test(v));
    // Probed every second instead of every 5: a report ahead of sshd shows within the test's watch.
    def.healthcheck = { ...def.healthcheck!, interval: "1s" };
    return def;
  }

  const health = async () => (await m!.named.inspectNamed(m!.dockerd.docker, "console"))!.State.Health?.Status;
  const netnsPid = async () => String((await m!.named.inspectNamed(m!.dockerd.docker, "console"))!.State.Pid);
  /** Whether an sshd answers at the listen address, asked from inside the console's namespace. */
  const sshdAnswers = async () => sh("nsenter", ["-t", await netnsPid(), "-n", "ssh-keyscan", "-T", "3", "-p", String(PORT), ADDRESS]).stdout.includes("ssh-ed25519");
  const logs = async (since: number) => {
    const c = (await m!.named.containerNamed(m!.dockerd.docker, "console"))!;
    return (await c.logs({ stdout: true, stderr: true, since })).toString();
  };
  async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) assert.fail(`${what} within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  /** Puts the listen address on the console's loopback, then checks: healthy, and sshd already answering. */
  async function listenAndCheckReady(): Promise<void> {
    must("nsenter", ["-t", await netnsPid(), "-n", "sh", "-c", `ip link set lo up && ip addr add ${ADDRESS}/32 dev lo`]);
    await until("the console was not healthy", async () => (await health()) === "healthy");
    assert.ok(await sshdAnswers(), "the console reported healthy before its sshd answered");
  }
  /** Watches the health check while sshd waits for its address: never healthy. */
  async function watchNotReady(since: number): Promise<void> {
    await until("sshd did not start waiting for its address", async () => /is not on this host yet/.test(await logs(since)));
    for (const end = Date.now() + 4000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
      assert.notEqual(await health(), "healthy", "healthy while sshd cannot listen yet");
    }
  }

  test("healthy only once sshd answers, on a first start and after a kill that left the last run's PID file", async () => {
    const { up } = await import("../../os/services/runner.ts");
    const { toServices } = await import("../../os/services/service.ts");
    const { engines } = await import("../../os/services/engines.ts");
    const docker = m!.dockerd.docker;
    const t0 = Math.floor(Date.now() / 1000);
    const [out] = await up(toServices({ console: await consoleService() }), engines(docker));
    assert.equal(out!.result, "started", out!.detail);
    await watchNotReady(t0);
    await listenAndCheckReady();

    // A hard stop: sshd gets no chance to remove its PID file; then its PID names a live process.
    const c = (await m!.named.containerNamed(docker, "console"))!;
    await c.kill({ signal: "SIGKILL" });
    await c.wait();
    const pack = (await import("tar-stream")).pack();
    pack.entry({ name: "sshd.pid" }, `${process.pid}\n`);
    pack.finalize();
    await c.putArchive(pack, { path: "/run" });
    const ready = await c.getArchive({ path: "/run/console.ready" }).then(() => true, () => false);
    assert.ok(ready, "the killed console left its ready mark (the state this test is about)");
    const t1 = Math.floor(Date.now() / 1000);
    await c.start();
    await watchNotReady(t1);
    await listenAndCheckReady();
  });
});
