// cloud-init's pure parts: write_files content, modes and owners; mount entries and their defaults;
// command forms; user arguments and sudo rules; sysctl names; the tar entries Docker gets; the
// per-boot and per-instance markers (on a temp ROS_ROOT).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";

const root = mkdtempSync(join(tmpdir(), "corral-ci-unit-"));
process.env.ROS_ROOT = root;
after(() => rmSync(root, { recursive: true, force: true }));

const { decodeContent, parseMode, parseOwner } = await import("../../system-services/cloud-init/file-spec.ts");
const { parseAccounts, ownerIds } = await import("../../system-services/cloud-init/accounts.ts");
const { mountEntry } = await import("../../system-services/cloud-init/mounts.ts");
const { commandArgv, describeCommand } = await import("../../system-services/cloud-init/commands.ts");
const { instanceDir, markBoot, markInstance, ranForInstance, ranThisBoot, sameBoot, NO_INSTANCE } = await import("../../system-services/cloud-init/markers.ts");
const { groupNames, sudoLines, useraddArgs, userSpec } = await import("../../system-services/cloud-init/users.ts");
const { sysctlFile } = await import("../../system-services/cloud-init/sysctl.ts");
const { firstFileOfTar, tarFile } = await import("../../system-services/cloud-init/tar.ts");
const { Reporter } = await import("../../system-services/cloud-init/report.ts");

describe("write_files content", () => {
  const text = "héllo\nworld\n";
  const b64 = Buffer.from(text).toString("base64");
  const gz = gzipSync(Buffer.from(text));

  test("plain text, as is", () => {
    assert.equal(decodeContent(text, undefined).toString(), text);
    assert.equal(decodeContent(text, "text/plain").toString(), text);
  });
  test("base64 under both names, wrapped over lines too", () => {
    assert.equal(decodeContent(b64, "b64").toString(), text);
    assert.equal(decodeContent(`${b64.slice(0, 8)}\n${b64.slice(8)}\n`, "base64").toString(), text);
  });
  test("gzip then base64, under every name cloud-init accepts", () => {
    for (const enc of ["gz+b64", "gz+base64", "gzip+b64", "gzip+base64"] as const) assert.equal(decodeContent(gz.toString("base64"), enc).toString(), text, enc);
  });
  test("bare gzip, one byte per character", () => {
    assert.equal(decodeContent(gz.toString("latin1"), "gz").toString(), text);
  });
  test("binary content survives byte for byte", () => {
    const bytes = Buffer.from([0, 255, 1, 128, 10, 13]);
    assert.deepEqual(decodeContent(gzipSync(bytes).toString("base64"), "gzip+base64"), bytes);
  });
  test("bad data is a clear error naming the encoding", () => {
    assert.throws(() => decodeContent("not base64!", "b64"), /content is not base64 \(encoding: b64\)/);
    assert.throws(() => decodeContent(b64, "gz+b64"), /content is not gzip data \(encoding: gz\+b64\)/);
    assert.throws(() => decodeContent("plain", "gz"), /use encoding: gz\+b64/);
  });
});

describe("write_files permissions and owner", () => {
  test("modes in every form, 0644 by default", () => {
    assert.equal(parseMode(undefined), 0o644);
    assert.equal(parseMode("0600"), 0o600);
    assert.equal(parseMode("755"), 0o755);
    assert.equal(parseMode("0o640"), 0o640);
    assert.equal(parseMode("1777"), 0o1777);
    assert.equal(parseMode(0o600), 0o600, "YAML 1.1 reads an unquoted 0600 as 384");
  });
  test("owner: root:root by default, a lone user keeps the group", () => {
    assert.deepEqual(parseOwner(undefined), { user: "root", group: "root" });
    assert.deepEqual(parseOwner("bob"), { user: "bob" });
    assert.deepEqual(parseOwner("bob:staff"), { user: "bob", group: "staff" });
    assert.throws(() => parseOwner("a:b:c"), /must be "user" or "user:group"/);
    assert.throws(() => parseOwner("bob:"), /must be "user" or "user:group"/);
  });
  test("owner names to ids from passwd and group files", () => {
    const [W, H] = ["here", "use a numeric id"];
    const acc = parseAccounts("root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1002:Bob:/home/bob:/bin/bash\n\ngarbage\n", "root:x:0:\nstaff:x:50:bob\n");
    assert.deepEqual(acc.users.get("bob"), { name: "bob", uid: 1001, gid: 1002, home: "/home/bob", shell: "/bin/bash" });
    assert.deepEqual(ownerIds({ user: "bob", group: "staff" }, acc, W, H), { uid: 1001, gid: 50 });
    assert.deepEqual(ownerIds({ user: "bob" }, acc, W, H), { uid: 1001, gid: -1 });
    assert.deepEqual(ownerIds({ user: "4000", group: "4001" }, acc, W, H), { uid: 4000, gid: 4001 });
    assert.deepEqual(ownerIds({ user: "root", group: "root" }, parseAccounts("", ""), W, H), { uid: 0, gid: 0 }, "root without a passwd file");
    assert.throws(() => ownerIds({ user: "alice" }, acc, "the ntp container", H), /^Error: user "alice" does not exist in the ntp container: use a numeric id$/);
    assert.throws(() => ownerIds({ user: "bob", group: "wheel" }, acc, W, H), /group "wheel" does not exist/);
  });
});

describe("mount entries", () => {
  test("missing and null fields take cloud-init's defaults (auto, defaults)", () => {
    assert.deepEqual(mountEntry(["/dev/sdb", "/mnt/data"]), { device: "/dev/sdb", mountpoint: "/mnt/data", fstype: "auto", options: "defaults" });
    assert.deepEqual(mountEntry(["/dev/sdb", "/mnt/data", null, "noatime"]), { device: "/dev/sdb", mountpoint: "/mnt/data", fstype: "auto", options: "noatime" });
  });
  test("mount_default_fields replace the defaults", () => {
    assert.deepEqual(mountEntry(["/dev/sdc", "/srv"], [null, null, "ext4", "ro", "0", "0"]), { device: "/dev/sdc", mountpoint: "/srv", fstype: "ext4", options: "ro" });
    assert.deepEqual(mountEntry(["/dev/sdc", "/srv"], [null, null, "xfs"]), { device: "/dev/sdc", mountpoint: "/srv", fstype: "xfs", options: "defaults" }, "a short default list");
  });
  test("device names as cloud-init reads them", () => {
    assert.equal(mountEntry(["sdb", "/mnt"])!.device, "/dev/sdb", "a bare name is a device");
    assert.equal(mountEntry(["LABEL=data", "/mnt"])!.device, "LABEL=data");
    assert.equal(mountEntry(["UUID=1234-ABCD", "/mnt"])!.device, "UUID=1234-ABCD");
    assert.equal(mountEntry(["nas:/export", "/mnt", "nfs"])!.device, "nas:/export");
    assert.equal(mountEntry(["tmpfs", "/mnt/t", "tmpfs", "size=10m"])!.device, "tmpfs");
    assert.equal(mountEntry(["none", "/mnt/t", "tmpfs"])!.device, "none");
  });
  test("numbers are read as text, a trailing slash is dropped", () => {
    assert.deepEqual(mountEntry(["/dev/sdb", "/mnt/data/", "ext4", "defaults", 0, 2]), { device: "/dev/sdb", mountpoint: "/mnt/data", fstype: "ext4", options: "defaults" });
  });
  test("no mount point: the entry is dropped, as cloud-init removes it", () => {
    assert.equal(mountEntry(["/dev/sdb"]), undefined);
    assert.equal(mountEntry(["/dev/sdb", null]), undefined);
  });
  test("what cannot be mounted is a clear error", () => {
    assert.throws(() => mountEntry(["swap", "none", "swap"]), /swap entries are not applied/);
    assert.throws(() => mountEntry(["ephemeral0", "/mnt"]), /ephemeral disk/);
    assert.throws(() => mountEntry(["/dev/sdb", "mnt/data"]), /must be an absolute path/);
    assert.throws(() => mountEntry([null, "/mnt"]), /no device/);
  });
});

describe("commands", () => {
  test("a string runs in sh -c, a list is the argv, an empty list does nothing", () => {
    assert.deepEqual(commandArgv("echo hi > /tmp/x"), ["sh", "-c", "echo hi > /tmp/x"]);
    assert.deepEqual(commandArgv(["touch", "/tmp/a b"]), ["touch", "/tmp/a b"]);
    assert.equal(commandArgv([]), undefined);
  });
  test("how a command reads in the report", () => {
    assert.equal(describeCommand("echo hi"), "echo hi");
    assert.equal(describeCommand(["touch", "a b"]), '["touch","a b"]');
  });
});

describe("users", () => {
  const prefix = ["--prefix", root];
  test('"default" is the console\'s user; a bare name is a user with defaults', () => {
    assert.deepEqual(userSpec("default", "rancher"), { name: "rancher" });
    assert.deepEqual(userSpec("bob", "rancher"), { name: "bob" });
    assert.deepEqual(userSpec({ name: "x", shell: "/bin/sh" }, "rancher"), { name: "x", shell: "/bin/sh" });
  });
  test("groups in the string, list and map forms", () => {
    assert.deepEqual(groupNames("sudo, docker,wheel"), ["sudo", "docker", "wheel"]);
    assert.deepEqual(groupNames(["sudo", "docker"]), ["sudo", "docker"]);
    assert.deepEqual(groupNames({ admins: null, dev: ["bob"] }), ["admins", "dev"]);
    assert.deepEqual(groupNames(undefined), []);
  });
  test("useradd gets one flag per field (and works on ROS_ROOT's /etc)", () => {
    assert.deepEqual(useraddArgs({ name: "bob" }), [...prefix, "-m", "-U", "bob"]);
    assert.deepEqual(useraddArgs({ name: "svc", no_create_home: true, no_user_group: true, system: true, uid: 900, shell: "/usr/sbin/nologin", gecos: "A service", homedir: "/srv/svc", groups: "adm,docker" }), [...prefix, "-M", "-N", "-G", "adm,docker", "-s", "/usr/sbin/nologin", "-c", "A service", "-d", "/srv/svc", "-r", "-u", "900", "svc"]);
    assert.deepEqual(useraddArgs({ name: "w", primary_group: "web" }), [...prefix, "-m", "-g", "web", "w"]);
  });
  test("sudo: a rule, a list of rules, or none", () => {
    assert.deepEqual(sudoLines({ name: "bob", sudo: "ALL=(ALL) NOPASSWD:ALL" }), ["bob ALL=(ALL) NOPASSWD:ALL"]);
    assert.deepEqual(sudoLines({ name: "bob", sudo: ["ALL=(ALL) ALL", "ALL=(root) NOPASSWD:/bin/ls"] }), ["bob ALL=(ALL) ALL", "bob ALL=(root) NOPASSWD:/bin/ls"]);
    assert.deepEqual(sudoLines({ name: "bob", sudo: false }), []);
    assert.deepEqual(sudoLines({ name: "bob", sudo: null }), []);
    assert.deepEqual(sudoLines({ name: "bob" }), []);
    assert.throws(() => sudoLines({ name: "bob", sudo: "ALL=(ALL) ALL\nroot ALL" }), /spans lines/);
  });
});

describe("sysctl names", () => {
  test("dotted and slashed names map under /proc/sys", () => {
    assert.equal(sysctlFile("net.ipv4.ip_forward"), join(root, "proc/sys/net/ipv4/ip_forward"));
    assert.equal(sysctlFile("net/ipv4/conf/eth0.100/rp_filter"), join(root, "proc/sys/net/ipv4/conf/eth0.100/rp_filter"));
  });
  test("a name that would leave /proc/sys is refused", () => {
    assert.throws(() => sysctlFile("net/../../etc/passwd"), /is not a sysctl name/);
    assert.throws(() => sysctlFile("net..ipv4"), /is not a sysctl name/);
  });
});

describe("tar entries for Docker", () => {
  test("a file real tar reads back with its mode, owner and content", async () => {
    const data = Buffer.from("hello from a tar\n");
    const tar = join(root, "one.tar");
    writeFileSync(tar, await tarFile({ path: "etc/app/conf", data, mode: 0o640, uid: 1001, gid: 50 }));
    assert.equal(execFileSync("tar", ["-xOf", tar, "etc/app/conf"], { encoding: "utf8" }), data.toString());
    assert.match(execFileSync("tar", ["--numeric-owner", "-tvf", tar], { encoding: "utf8" }), /^-rw-r----- 1001\/50 +17 .* etc\/app\/conf$/m);
  });
  test("long paths survive: real tar reads them back", async () => {
    for (const path of [`${"d".repeat(90)}/${"e".repeat(60)}/file.txt`, `${"a".repeat(120)}/${"b".repeat(120)}/c`]) {
      const tar = join(root, "long.tar");
      writeFileSync(tar, await tarFile({ path, data: Buffer.from("x"), mode: 0o644, uid: 0, gid: 0 }));
      assert.equal(execFileSync("tar", ["-tf", tar], { encoding: "utf8" }).trim(), path);
    }
  });
  test("the first file of an archive, as real tar writes it", async () => {
    const dir = join(root, "src");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "passwd"), "root:x:0:0::/root:/bin/sh\n");
    const archive = execFileSync("tar", ["-C", dir, "-cf", "-", "passwd"]);
    assert.equal((await firstFileOfTar(archive))!.toString(), "root:x:0:0::/root:/bin/sh\n");
    assert.equal(await firstFileOfTar(Buffer.alloc(1024)), undefined);
  });
});

describe("markers", () => {
  test("instance ids become folder names; none is cloud-init's iid-datasource-none", () => {
    assert.equal(instanceDir("i-0abc123"), "i-0abc123");
    assert.equal(instanceDir(undefined), NO_INSTANCE);
    assert.equal(instanceDir("  "), NO_INSTANCE);
    assert.equal(instanceDir("a/b"), "a%2Fb");
    assert.equal(instanceDir(".."), "%2E%2E");
  });
  test("a boot marker counts only for the boot it names", () => {
    assert.equal(sameBoot(undefined, "b1"), false);
    assert.equal(sameBoot("b1\n", "b1"), true);
    assert.equal(sameBoot("b0\n", "b1"), false);
  });
  test("once per instance: a new id runs again, an old one does not", () => {
    assert.equal(ranForInstance("i-1", "runcmd"), false);
    markInstance("i-1", "runcmd");
    assert.equal(ranForInstance("i-1", "runcmd"), true);
    assert.equal(ranForInstance("i-1", "script"), false, "each thing has its own marker");
    assert.equal(ranForInstance("i-2", "runcmd"), false);
    markInstance(undefined, "runcmd");
    assert.equal(ranForInstance(NO_INSTANCE, "runcmd"), true, "no id is one fixed instance");
  });
  test("once per boot: the kernel's boot id decides, and so does clearing /run", () => {
    const bootId = join(root, "proc/sys/kernel/random/boot_id");
    mkdirSync(join(bootId, ".."), { recursive: true });
    writeFileSync(bootId, "boot-1\n");
    assert.equal(ranThisBoot("bootcmd"), false);
    markBoot("bootcmd");
    assert.equal(ranThisBoot("bootcmd"), true);
    writeFileSync(bootId, "boot-2\n");
    assert.equal(ranThisBoot("bootcmd"), false, "a /run that survived the reboot");
    markBoot("bootcmd");
    rmSync(join(root, "run/ros/cloud-init"), { recursive: true });
    assert.equal(ranThisBoot("bootcmd"), false, "a fresh /run");
  });
});

test("the stage summary counts actions by kind", async () => {
  const r = new Reporter("host");
  await r.step("sysctl a.b", () => undefined);
  await r.step("sysctl c.d", () => {
    throw new Error("no");
  });
  await r.step("module x", async () => "loaded");
  r.skip("runcmd", "already ran");
  assert.equal(r.summary(), "sysctl 1 ok, 1 failed; module 1 ok; runcmd 1 skipped");
  assert.deepEqual(r.actions[1], { what: "sysctl c.d", ok: false, error: "no" });
  assert.equal(r.actions[2]!.output, "loaded");
  assert.equal(new Reporter("console-init").summary(), "nothing to do");
});
