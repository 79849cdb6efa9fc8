// The disk datasources on real block devices: a NoCloud disk labelled cidata and an OpenStack config
// drive labelled config-2, made from image files and attached as loop devices. Each source finds its
// disk by label (findfs), mounts it read-only, reads it and unmounts it; a disk that appears after
// the source started (a driver that probes late) is still found within the wait. The images are
// ext4 (mkfs.ext4 -d fills them without a mount), as this machine's kernel has no vfat or ISO 9660;
// the label lookup and the mount do not depend on the file system, and the boot tests read real
// vfat and ISO 9660 seeds in QEMU. Needs root (losetup, mount).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";

const scratch = mkdtempSync(join(tmpdir(), "corral-ds-disks-"));
process.env.ROS_ROOT = join(scratch, "root");
// libblkid's cache (/run/blkid) keeps a detached loop device's label: findfs, here and in the
// sources, probes the devices as they are now.
process.env.BLKID_FILE = "/dev/null";
const { datasourcesFor } = await import("../../cloud-config/datasources/index.ts");
const { paths } = await import("../../os/paths.ts");

const tool = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const has = (cmd: string) => {
  try {
    tool("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
};
const labelled = (label: string) => {
  try {
    return tool("findfs", [`LABEL=${label}`]);
  } catch {
    return undefined;
  }
};

const missing = ["losetup", "findfs", "mkfs.ext4", "mount"].filter((c) => !has(c));
const skip =
  process.getuid?.() !== 0 ? "needs root (losetup, mount)"
  : missing.length ? `needs ${missing.join(", ")}`
  : labelled("CIDATA") ?? labelled("cidata") ?? labelled("config-2") ? "a disk labelled cidata or config-2 is already attached here"
  : false;

const attached: string[] = [];
const attach = (image: string) => {
  const dev = tool("losetup", ["-f", "--show", "-r", image]);
  attached.push(dev);
  return dev;
};
/** Detaches `dev` and waits until the kernel has let it go, so its label no longer resolves. */
const detach = (dev: string) => {
  tool("losetup", ["-d", dev]);
  attached.splice(attached.indexOf(dev), 1);
  for (const until = Date.now() + 5000; Date.now() < until && tool("losetup", ["-a"]).includes(`${dev}:`); ) execFileSync("sleep", ["0.1"]);
};
after(() => {
  for (const dev of [...attached]) detach(dev);
  rmSync(scratch, { recursive: true, force: true });
});

const never = () => new AbortController().signal;
const mounted = () => readFileSync("/proc/mounts", "utf8").split("\n").filter((l) => l.includes(paths.datasourceMount));

/** An ext4 image labelled `label` holding `files` (relative path -> text). */
function diskImage(label: string, files: Record<string, string>): string {
  const tree = join(scratch, label);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, rel)), { recursive: true });
    writeFileSync(join(tree, rel), text);
  }
  const image = join(scratch, `${label}.img`);
  tool("truncate", ["-s", "8M", image]);
  tool("mkfs.ext4", ["-q", "-F", "-L", label, "-d", tree, image]);
  return image;
}

describe("disk datasources on loop devices", { skip }, () => {
  test("nocloud: the cidata disk's user-data and meta-data, and ds=nocloud;h= overrides its hostname", async () => {
    const userData = "#cloud-config\nhostname: from-cidata\n";
    const dev = attach(diskImage("CIDATA", { "user-data": userData, "meta-data": "instance-id: iid-disk\nlocal-hostname: meta-host\n" }));
    try {
      const { sources, errors } = datasourcesFor(["nocloud"], "");
      assert.deepEqual(errors, []);
      const found = await sources[0]!.fetch(never());
      assert.equal(found?.source, `nocloud:${dev}:/user-data`);
      assert.equal(found?.userData?.toString(), userData);
      assert.deepEqual(found?.metadata, { instanceId: "iid-disk", hostname: "meta-host" });
      assert.deepEqual(mounted(), [], "the disk is unmounted once read");

      const fromCmdline = datasourcesFor([], "ro ds=nocloud;h=cmdline-host quiet");
      assert.deepEqual(fromCmdline.sources.map((s) => s.name), ["nocloud"]);
      const over = await fromCmdline.sources[0]!.fetch(never());
      assert.deepEqual(over?.metadata, { instanceId: "iid-disk", hostname: "cmdline-host" });
    } finally {
      detach(dev);
    }
  });

  test("configdrive: a config-2 disk that appears after the source started is found and read", async () => {
    const userData = "#cloud-config\nhostname: from-config-drive\n";
    const meta = { uuid: "u-disk", hostname: "drive-host", public_keys: { k: "ssh-ed25519 AAAA k" } };
    const image = diskImage("config-2", { "openstack/latest/user_data": userData, "openstack/latest/meta_data.json": JSON.stringify(meta) });
    const { sources } = datasourcesFor(["configdrive"], "");
    const pending = sources[0]!.fetch(never());
    await new Promise((r) => setTimeout(r, 600));
    const dev = attach(image);
    try {
      const found = await pending;
      assert.equal(found?.source, `configdrive:${dev}:/openstack/latest/user_data`);
      assert.equal(found?.userData?.toString(), userData);
      assert.deepEqual(found?.metadata, { instanceId: "u-disk", hostname: "drive-host", publicKeys: ["ssh-ed25519 AAAA k"] });
      assert.deepEqual(mounted(), [], "the disk is unmounted once read");
    } finally {
      detach(dev);
    }
  });

  test("no labelled disk: absent once the wait is over; aborting ends the wait at once", async () => {
    const { sources } = datasourcesFor(["configdrive"], "");
    const t0 = Date.now();
    assert.equal(await sources[0]!.fetch(never()), undefined);
    assert.ok(Date.now() - t0 < 6000, `took ${Date.now() - t0} ms`);
    const ac = new AbortController();
    const waiting = sources[0]!.fetch(ac.signal);
    setTimeout(() => ac.abort(new Error("budget over")), 100);
    const t1 = Date.now();
    await assert.rejects(waiting, { name: "AbortError" });
    assert.ok(Date.now() - t1 < 1000, `abort took ${Date.now() - t1} ms`);
  });
});
