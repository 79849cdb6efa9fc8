// cloud-init with real tools on a ROS_ROOT tree: write_files (encodings, modes, real chown, append,
// defer after users), users made by the real useradd/usermod/groupadd on the tree's /etc (never the
// machine's), sudo rules checked by the real visudo, bootcmd per boot and runcmd and the script per
// instance, files put into a container on a real dockerd, a tmpfs mounted into a "host" mount
// namespace of our own, sysctls written inside a network namespace of our own, modules through the
// real modprobe, and `ros cloud-init-apply` itself.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";

const REPO = join(import.meta.dirname, "../..");
const root = mkdtempSync(join(tmpdir(), "corral-ci-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { loadConfig } = await import("../../cloud-config/load.ts");
const { applyInConsole } = await import("../../system-services/cloud-init/console.ts");
const { runCommand } = await import("../../system-services/cloud-init/commands.ts");
const { applyOnHost } = await import("../../system-services/cloud-init/index.ts");
const { readReport } = await import("../../system-services/cloud-init/report.ts");
const { tarFile, firstFileOfTar } = await import("../../system-services/cloud-init/tar.ts");
const { startTestDockerd, unmountUnder } = await import("./dockerd.ts");
const { importBusybox } = await import("../fixtures/busybox-image.ts");
type TestDockerd = Awaited<ReturnType<typeof startTestDockerd>>;
assert.ok(paths.etcPasswd.startsWith(root), "os/paths.ts was loaded before ROS_ROOT was set");

const NETNS = "corral-ci-sysctl";
const CONSOLE = { defaultUser: "rancher" };
const r = (p: string) => join(root, p);
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" });
let hostNs: ChildProcess | undefined;
let dockerd: TestDockerd | undefined;

/** A root like the console image's: root, the groups users are put in, and the rancher user the console makes. */
function makeConsoleEtc(): void {
  mkdirSync(r("etc"), { recursive: true });
  writeFileSync(r("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(r("etc/group"), "root:x:0:\nsudo:x:27:\ndocker:x:101:\n");
  writeFileSync(r("etc/shadow"), "root:*:1::::::\n", { mode: 0o640 });
  writeFileSync(r("etc/gshadow"), "root:*::\nsudo:*::\ndocker:*::\n", { mode: 0o640 });
  sh("useradd", ["--prefix", root, "-m", "-U", "-G", "sudo,docker", "-s", "/bin/bash", "rancher"]);
}

const passwdLine = (name: string) => readFileSync(r("etc/passwd"), "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
const shadowField = (name: string) => readFileSync(r("etc/shadow"), "utf8").split("\n").find((l) => l.startsWith(`${name}:`))?.split(":")[1];
const groupMembers = (group: string) => readFileSync(r("etc/group"), "utf8").split("\n").find((l) => l.startsWith(`${group}:`))?.split(":")[3]?.split(",").filter(Boolean);
const uidOf = (name: string) => Number(passwdLine(name)!.split(":")[2]);
const mode = (file: string) => statSync(file).mode & 0o7777;
const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

before(() => {
  makeConsoleEtc();
  mkdirSync(r("proc/sys/kernel/random"), { recursive: true });
  writeFileSync(paths.bootId, "boot-1\n");
  // The "host": a mount namespace of its own, standing in for PID 1's (ROOT/proc/1 points at it).
  hostNs = spawn("unshare", ["-m", "--propagation", "private", "sleep", "infinity"], { stdio: "ignore" });
  symlinkSync(`/proc/${hostNs.pid}`, r("proc/1"));
  const own = readlinkSync("/proc/self/ns/mnt");
  const until = Date.now() + 10_000;
  while (readlinkSync(paths.hostMountNs) === own) {
    if (Date.now() > until) throw new Error("unshare did not make a mount namespace");
    execFileSync("sleep", ["0.05"]);
  }
});

after(async () => {
  hostNs?.kill("SIGKILL");
  await dockerd?.stop();
  try {
    execFileSync("ip", ["netns", "del", NETNS], { stdio: "ignore" });
  } catch {
    // Never made: the sysctl test did not get that far.
  }
  await unmountUnder(root);
  rmSync(root, { recursive: true, force: true });
});

describe("in the console", () => {
  const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICiTestKeyForCloudInitxxxxxxxxxxxxxxxxxxxxx ci@test";
  const HASH = "$6$saltsalt$8G5mTA9mkp5G5Yw3jm2lTnXwSzAUz.0mvkD8SkZ7rC0tk9gM1cHRaNv7DWb6Xf9zRkz5g8CWpIh/3hBJkZQfT/";
  const text = "line one\nline two\n";
  const config: CloudConfig = {
    users: [
      "default",
      { name: "ci-alice", groups: ["ci-team", "docker"], shell: "/bin/bash", sudo: "ALL=(ALL) NOPASSWD:ALL", hashed_passwd: HASH, ssh_authorized_keys: [KEY] },
      { name: "ci-bob", groups: "ci-team", lock_passwd: false, sudo: ["ALL=(root) NOPASSWD:/usr/bin/id"] },
      "ci-carol",
      { name: "ci-dave", plain_text_passwd: "hunter2" },
    ],
    write_files: [
      { path: "/etc/ci/plain.txt", content: text },
      { path: "/etc/ci/b64.txt", content: Buffer.from(text).toString("base64"), encoding: "b64", permissions: "0600" },
      { path: "/etc/ci/gz.txt", content: gzipSync(text).toString("base64"), encoding: "gz+b64", permissions: 0o640, owner: "rancher:docker" },
      { path: "/etc/ci/log.txt", content: "appended\n", append: true },
      // Not deferred: ci-alice does not exist yet, so this one fails, and only this one.
      { path: "/etc/ci/too-early.txt", content: "x", owner: "ci-alice" },
      { path: "/home/ci-alice/notes.txt", content: "deferred\n", owner: "ci-alice:ci-team", permissions: "0400", defer: true },
    ],
  };

  before(() => {
    mkdirSync(r("etc/ci"), { recursive: true });
    writeFileSync(r("etc/ci/log.txt"), "first\n");
  });

  test("init: files not deferred, then users; a file needing a user not yet made fails alone", async () => {
    const actions = await applyInConsole(config, "init", CONSOLE);
    const failed = actions.filter((a) => !a.ok).map((a) => `${a.what}: ${a.error}`);
    assert.equal(failed.length, 2, failed.join("\n"));
    assert.match(failed[0]!, /^write_files \/etc\/ci\/too-early.txt: user "ci-alice" does not exist in the console: a user made by users: needs defer: true/);
    assert.match(failed[1]!, /^user ci-dave: plain_text_passwd is not applied .*hashed_passwd/);

    assert.equal(readFileSync(r("etc/ci/plain.txt"), "utf8"), text);
    assert.equal(mode(r("etc/ci/plain.txt")), 0o644, "cloud-init's default mode");
    assert.equal(readFileSync(r("etc/ci/b64.txt"), "utf8"), text);
    assert.equal(mode(r("etc/ci/b64.txt")), 0o600);
    assert.equal(readFileSync(r("etc/ci/gz.txt"), "utf8"), text);
    assert.equal(mode(r("etc/ci/gz.txt")), 0o640);
    assert.equal(statSync(r("etc/ci/gz.txt")).uid, uidOf("rancher"), "chowned to rancher");
    assert.equal(statSync(r("etc/ci/gz.txt")).gid, 101, "chowned to the docker group");
    assert.equal(readFileSync(r("etc/ci/log.txt"), "utf8"), "first\nappended\n");
    assert.equal(existsSync(r("home/ci-alice/notes.txt")), false, "deferred to the final stage");
  });

  test("users: made by useradd on the tree's /etc, with groups, shell, passwords, keys and sudo", () => {
    assert.match(passwdLine("ci-alice")!, /^ci-alice:x:\d+:\d+::\/home\/ci-alice:\/bin\/bash$/);
    assert.ok(passwdLine("ci-carol"), "a user given by name alone");
    assert.equal(passwdLine("ci-dave"), undefined);
    assert.deepEqual(groupMembers("ci-team"), ["ci-alice", "ci-bob"], "the missing group was created");
    assert.deepEqual(groupMembers("docker"), ["rancher", "ci-alice"]);
    assert.equal(shadowField("ci-alice"), `!${HASH}`, "a hash, locked as lock_passwd defaults to");
    assert.equal(shadowField("ci-bob"), "*", "no password, yet not locked against SSH keys");
    const ssh = r("home/ci-alice/.ssh");
    assert.equal(readFileSync(join(ssh, "authorized_keys"), "utf8"), `${KEY}\n`);
    assert.equal(mode(ssh), 0o700);
    assert.equal(mode(join(ssh, "authorized_keys")), 0o600);
    assert.equal(statSync(join(ssh, "authorized_keys")).uid, uidOf("ci-alice"));
    const sudoers = r("etc/sudoers.d/90-cloud-init-users");
    assert.match(readFileSync(sudoers, "utf8"), /^ci-alice ALL=\(ALL\) NOPASSWD:ALL\nci-bob ALL=\(root\) NOPASSWD:\/usr\/bin\/id\n$/m);
    assert.equal(mode(sudoers), 0o440);
    assert.doesNotMatch(readFileSync("/etc/passwd", "utf8"), /^ci-/m, "the machine's own users are untouched");
  });

  test("final: the deferred file, owned by the user made in init", async () => {
    const actions = await applyInConsole(config, "final", CONSOLE);
    assert.deepEqual(actions.filter((a) => !a.ok), []);
    const notes = r("home/ci-alice/notes.txt");
    assert.equal(readFileSync(notes, "utf8"), "deferred\n");
    assert.equal(statSync(notes).uid, uidOf("ci-alice"));
    assert.equal(statSync(notes).gid, Number(readFileSync(r("etc/group"), "utf8").match(/^ci-team:x:(\d+):/m)![1]));
    assert.equal(mode(notes), 0o400);
  });

  test("a second boot updates users in place; a sudo rule visudo refuses changes nothing", async () => {
    writeFileSync(paths.bootId, "boot-2\n");
    const sudoers = r("etc/sudoers.d/90-cloud-init-users");
    const before = readFileSync(sudoers, "utf8");
    const again: CloudConfig = { users: [{ name: "ci-carol", groups: ["sudo"], shell: "/bin/sh", sudo: "ALL=(ALL) NOT A RULE((" }] };
    const actions = await applyInConsole(again, "init", CONSOLE);
    const sudo = actions.find((a) => a.what.startsWith("sudo "))!;
    assert.equal(sudo.ok, false);
    assert.match(sudo.error!, /sudo rules refused by visudo, none applied: .*syntax error/s);
    assert.equal(readFileSync(sudoers, "utf8"), before);
    assert.equal(existsSync(`${sudoers}.new`), false);
    assert.deepEqual(groupMembers("sudo"), ["rancher", "ci-carol"]);
    assert.match(passwdLine("ci-carol")!, /:\/bin\/sh$/);
  });

  test("the RancherOS example: basic.yml's file and runcmd", async () => {
    mkdirSync(paths.cloudConfigD, { recursive: true });
    copyFileSync("/work/shared/examples/basic.yml", paths.bootConfig);
    const { config: basic, diagnostics } = loadConfig();
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
    await applyInConsole(basic, "init", CONSOLE);
    assert.equal(readFileSync(r("etc/motd"), "utf8"), "Welcome to corral-01\n");
    assert.equal(mode(r("etc/motd")), 0o644);
    // Its runcmd, aimed at the tree instead of the machine's /var/log.
    mkdirSync(r("var/log"), { recursive: true });
    const runcmd = basic.runcmd!.map((c) => (c as string).replace("/var/log", r("var/log")));
    const actions = await applyInConsole({ ...basic, runcmd }, "final", CONSOLE);
    assert.deepEqual(actions.filter((a) => !a.ok), []);
    assert.equal(readFileSync(r("var/log/first-boot"), "utf8"), "booted\n");
    rmSync(paths.bootConfig);
  });
});

describe("bootcmd every boot, runcmd and the script once per instance", () => {
  const bootLog = r("bootcmd.log");
  const runLog = r("runcmd.log");
  const scriptLog = r("script.log");
  const config: CloudConfig = {
    bootcmd: [`echo "boot $INSTANCE_ID" >> ${bootLog}`, ["sh", "-c", "echo broken; exit 3"], ["sh", "-c", `echo after >> ${bootLog}`]],
    runcmd: [["sh", "-c", `echo "run $INSTANCE_ID" >> ${runLog}`], "false", []],
  };
  const boot = async () => [...(await applyInConsole(config, "init", CONSOLE)), ...(await applyInConsole(config, "final", CONSOLE))];
  const reboot = () => rmSync(paths.cloudInitBoot, { recursive: true, force: true });
  const instance = (id: string) => writeFileSync(paths.metadata, JSON.stringify({ instanceId: id }));

  before(() => {
    reboot();
    rmSync(paths.cloudInitInstances, { recursive: true, force: true });
    mkdirSync(paths.confDir, { recursive: true });
    writeFileSync(paths.cloudConfigScript, `#!/bin/sh\necho "script $INSTANCE_ID" >> ${scriptLog}\n`, { mode: 0o700 });
    rmSync(paths.metadata, { force: true });
  });

  test("first boot, no instance id: everything runs; a failing command is reported, the rest still run", async () => {
    const actions = await boot();
    assert.deepEqual(lines(bootLog), ["boot iid-datasource-none", "after"]);
    assert.deepEqual(lines(runLog), ["run iid-datasource-none"]);
    assert.deepEqual(lines(scriptLog), ["script iid-datasource-none"]);
    const failed = actions.filter((a) => !a.ok);
    assert.deepEqual(failed.map((a) => a.what), ['bootcmd 2: ["sh","-c","echo broken; exit 3"]', "runcmd 2: false"]);
    assert.equal(failed[0]!.error, "exit code 3; output: broken");
    assert.equal(failed[1]!.error, "exit code 1");
    const report = readReport();
    assert.deepEqual(Object.keys(report.stages).sort(), ["console-final", "console-init"]);
    assert.equal(report.stages["console-init"]!.actions.find((a) => !a.ok)!.error, "exit code 3; output: broken");
  });

  test("the console starting again in the same boot runs nothing again", async () => {
    const actions = await boot();
    assert.deepEqual(actions.filter((a) => a.skipped).map((a) => a.what), ["bootcmd", "runcmd", "script"]);
    assert.equal(lines(bootLog).length, 2);
    assert.equal(lines(runLog).length, 1);
    assert.equal(lines(scriptLog).length, 1);
  });

  test("a reboot runs bootcmd again, not runcmd or the script", async () => {
    reboot();
    await boot();
    assert.equal(lines(bootLog).length, 4);
    assert.equal(lines(runLog).length, 1);
    assert.equal(lines(scriptLog).length, 1);
  });

  test("a new instance id runs runcmd and the script again; back to an old one does not", async () => {
    instance("i-0123");
    reboot();
    await boot();
    assert.deepEqual(lines(runLog), ["run iid-datasource-none", "run i-0123"]);
    assert.deepEqual(lines(scriptLog), ["script iid-datasource-none", "script i-0123"]);
    assert.equal(lines(bootLog).at(-2), "boot i-0123");
    rmSync(paths.metadata);
    reboot();
    await boot();
    assert.equal(lines(runLog).length, 2);
    assert.equal(lines(scriptLog).length, 2);
  });
});

test("a command that leaves a daemon behind (holding its output pipes) does not hold up the next", async () => {
  const pidFile = r("daemon.pid");
  const t0 = Date.now();
  try {
    assert.equal(await runCommand(["sh", "-c", `sleep 60 & echo $! > ${pidFile}; echo started`]), "started");
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  } finally {
    if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
  }
});

describe("on the host", () => {
  test("write_files into a container on a real dockerd: owner from its /etc, mode, append, parents made", async () => {
    dockerd = await startTestDockerd(r("docker"));
    mkdirSync(join(paths.systemDockerSock, ".."), { recursive: true });
    symlinkSync(dockerd.socket, paths.systemDockerSock);
    await importBusybox(dockerd.docker, "corral-ci/busybox:1");
    const c = await dockerd.docker.createContainer({ name: "ci-target", Image: "corral-ci/busybox:1", Cmd: ["true"], HostConfig: { NetworkMode: "none" } });
    await c.putArchive(await tarFile({ path: "etc/passwd", data: Buffer.from("root:x:0:0::/root:/bin/sh\nci:x:1234:2345::/:/bin/sh\n"), mode: 0o644, uid: 0, gid: 0 }), { path: "/" });
    await c.putArchive(await tarFile({ path: "etc/log", data: Buffer.from("first\n"), mode: 0o644, uid: 0, gid: 0 }), { path: "/" });

    const actions = await applyOnHost({
      write_files: [
        { path: "/opt/ci/deep/app.conf", container: "ci-target", content: Buffer.from("key: value\n").toString("base64"), encoding: "b64", owner: "ci", permissions: "0640" },
        { path: "/etc/log", container: "ci-target", content: "second\n", append: true },
        { path: "/etc/x", container: "ci-nowhere", content: "x" },
        { path: "/etc/y", container: "ci-target", content: "y", owner: "nobody-here" },
      ],
    });
    const byPath = (p: string) => actions.find((a) => a.what.endsWith(p))!;
    assert.equal(byPath("/opt/ci/deep/app.conf").ok, true, byPath("/opt/ci/deep/app.conf").error);
    assert.equal(byPath("/etc/log").ok, true, byPath("/etc/log").error);
    assert.match(byPath("/etc/x").error!, /container "ci-nowhere" does not exist on the system Docker/);
    assert.match(byPath("/etc/y").error!, /user "nobody-here" does not exist in the ci-target container/);

    const archive = async (p: string) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await c.getArchive({ path: p })) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const conf = await archive("/opt/ci/deep/app.conf");
    assert.equal((await firstFileOfTar(conf))!.toString(), "key: value\n");
    const header = (field: [number, number]) => parseInt(conf.toString("latin1", field[0], field[0] + field[1]), 8);
    assert.deepEqual([header([100, 8]) & 0o7777, header([108, 8]), header([116, 8])], [0o640, 1234, 2345], "mode, and the user's own group");
    assert.equal((await firstFileOfTar(await archive("/etc/log")))!.toString(), "first\nsecond\n");
  });

  test("mounts land in the host's mount namespace; a missing device fails alone; a second run does not stack", async () => {
    const config: CloudConfig = { mounts: [["tmpfs", "/mnt/ci-tmp", "tmpfs", "size=1m,mode=0750"], ["/dev/ci-missing", "/mnt/ci-missing"], ["/dev/ci-no-point"]] };
    const actions = await applyOnHost(config);
    assert.equal(actions[0]!.ok, true, actions[0]!.error);
    assert.match(actions[1]!.error!, /device \/dev\/ci-missing does not exist/);
    assert.equal(actions[2]!.ok, true, "an entry without a mount point is nothing to do");
    const target = r("mnt/ci-tmp");
    const inHost = () => readFileSync(`/proc/${hostNs!.pid}/mounts`, "utf8").split("\n").filter((l) => l.split(" ")[1] === target);
    assert.equal(inHost().length, 1);
    assert.match(inHost()[0]!, /^tmpfs \S+ tmpfs rw,.*size=1024k,mode=750/);
    assert.equal(readFileSync("/proc/self/mounts", "utf8").includes(target), false, "not in this process's namespace");
    assert.equal((await applyOnHost(config))[0]!.output, "already mounted");
    assert.equal(inHost().length, 1);
  });

  test("modules through modprobe: one built into the kernel is fine, one the image lacks is a clear error", async () => {
    const dir = r(`lib/modules/${release()}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "modules.builtin"), "kernel/net/ci_builtin/ci_builtin.ko\n");
    writeFileSync(join(dir, "modules.order"), "");
    execFileSync("depmod", ["-b", root, release()], { stdio: "ignore" });
    const actions = await applyOnHost({ rancher: { modules: ["ci_builtin", "ci_no_such_module opt=1"] } });
    assert.equal(actions[0]!.ok, true, actions[0]!.error);
    assert.equal(actions[1]!.error, `kernel module "ci_no_such_module" is not in this image (${dir}): remove it from rancher.modules, or use an image that ships it`);
    assert.equal(readReport().stages.host!.actions[1]!.ok, false, "the report holds it");
  });

  test("sysctls inside a network namespace of our own: set, unknown key, refused value", () => {
    execFileSync("ip", ["netns", "add", NETNS]);
    // A root of its own whose /proc is the real one, read from inside the namespace.
    const nsRoot = r("netns-root");
    mkdirSync(nsRoot);
    symlinkSync("/proc", join(nsRoot, "proc"));
    const inNs = (cmd: string[]) => execFileSync("ip", ["netns", "exec", NETNS, ...cmd], { encoding: "utf8", cwd: REPO, env: { ...process.env, ROS_ROOT: nsRoot } }).trim();
    const machine = ["ip_forward", "ip_default_ttl"].map((k) => readFileSync(`/proc/sys/net/ipv4/${k}`, "utf8"));
    // The opposite of what the namespace starts with, so the write is seen.
    const forward = inNs(["cat", "/proc/sys/net/ipv4/ip_forward"]) === "1" ? "0" : "1";
    const script = `const { applyOnHost } = await import(${JSON.stringify(join(REPO, "system-services/cloud-init/index.ts"))});
      console.log(JSON.stringify(await applyOnHost({ rancher: { sysctl: { "net.ipv4.ip_forward": ${forward}, "net/ipv4/ip_default_ttl": "99", "net.ipv4.ci_nope": 1, "net.ipv4.tcp_syn_retries": 999 } } })));`;
    const out = inNs(["node", "--import", "tsx", "--input-type=module", "-e", script]);
    const actions = JSON.parse(out.split("\n").at(-1)!) as { what: string; ok: boolean; error?: string }[];
    assert.deepEqual(actions.slice(0, 2).map((a) => a.ok), [true, true], JSON.stringify(actions));
    assert.match(actions[2]!.error!, /^no such kernel setting \(.*\/proc\/sys\/net\/ipv4\/ci_nope\)/);
    assert.match(actions[3]!.error!, /^the kernel refused the value "999"/);
    assert.equal(inNs(["cat", "/proc/sys/net/ipv4/ip_forward"]), forward);
    assert.equal(inNs(["cat", "/proc/sys/net/ipv4/ip_default_ttl"]), "99");
    assert.deepEqual(["ip_forward", "ip_default_ttl"].map((k) => readFileSync(`/proc/sys/net/ipv4/${k}`, "utf8")), machine, "the machine's own settings are untouched");
  });

  test("ros cloud-init-apply reads the config, reports a failure, and still exits 0", () => {
    writeFileSync(paths.cloudConfig, "rancher:\n  modules: [ci_absent_module]\n");
    chmodSync(paths.cloudConfig, 0o600);
    rmSync(paths.cloudInitReport, { force: true });
    const out = execFileSync("node", ["--import", "tsx", join(REPO, "os/cli/main.ts"), "cloud-init-apply"], { encoding: "utf8", cwd: REPO, env: { ...process.env, ROS_ROOT: root } });
    assert.match(out, /cloud-init: host: module "?ci_absent_module"?: kernel module "ci_absent_module" is not in this image/);
    assert.match(out, /cloud-init: host: module 1 failed/);
    const host = readReport().stages.host!;
    assert.deepEqual(host.actions.map((a) => [a.what, a.ok]), [["module ci_absent_module", false]]);
  });
});
