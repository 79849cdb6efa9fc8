// ros install from the live ISO to a blank disk, then the installed disk booting alone (BIOS, then
// UEFI): what persists across the reboot is on the state partition. Install refuses a too small
// disk and a cloud-config with errors before writing anything. The reboot also shows bootcmd running
// every boot and runcmd once per instance.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ARTIFACTS } from "../../build/image.ts";
import { version } from "../../build/bundle.ts";
import { freePort, makeSeed, type VmOptions } from "../../build/vm.ts";
import { rootfsTar } from "../fixtures/busybox-image.ts";
import { ssh, type SshTarget } from "./ssh.ts";
import { bootUntilSsh, serialTail } from "./guest.ts";

const BOOT_BUDGET_MS = 6 * 60_000;

/** True when the file reads as zeros from start to end (a sparse blank disk nothing wrote to). */
function allZero(file: string): boolean {
  const buf = Buffer.alloc(16 * 1024 * 1024);
  const fd = openSync(file, "r");
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) if (!buf.subarray(0, n).every((b) => b === 0)) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

async function boot(o: Omit<VmOptions, "sshPort" | "serial">, dir: string, name: string, key: string, check: (t: SshTarget) => Promise<void>): Promise<void> {
  const port = await freePort();
  const { vm, target: t } = await bootUntilSsh({ ...o, sshPort: port, serial: join(dir, `${name}.log`) }, key, BOOT_BUDGET_MS).catch((e: Error) => {
    throw new Error(`${name}: ${e.message}`);
  });
  try {
    await check(t);
    await ssh(t, "sudo poweroff");
    assert.equal(await vm.waitForExit(90_000), 0, "poweroff must end QEMU cleanly");
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}\n${serialTail(vm)}`);
  }
}

async function out(t: SshTarget, cmd: string, input?: string): Promise<string> {
  const r = await ssh(t, cmd, undefined, input);
  assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe("install", { timeout: 4 * BOOT_BUDGET_MS }, () => {
  test("ros install from the ISO to a blank disk (refusing a small disk and a bad config first); the disk boots alone with BIOS and UEFI, and /home, the user Docker, the config and runcmd's once-per-instance mark persist", async () => {
    assert.ok(existsSync(ARTIFACTS.iso), `${ARTIFACTS.iso} is missing: run npm run build:image`);
    const dir = mkdtempSync(join(tmpdir(), "corral-install-"));
    const key = join(dir, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const pub = readFileSync(`${key}.pub`, "utf8").trim();
    const disk = join(dir, "disk.img");
    const small = join(dir, "small.img");
    writeFileSync(disk, "");
    truncateSync(disk, 2 * 2 ** 30);
    writeFileSync(small, "");
    truncateSync(small, 64 * 2 ** 20);
    const installed = join(dir, "installed.yml");
    // bootcmd runs every boot, runcmd once per instance (this one has no datasource, so one instance).
    const cmds = `bootcmd:\n  - echo boot >> /var/log/bootcmd.log\nruncmd:\n  - echo run >> /var/log/runcmd.log\n`;
    writeFileSync(installed, `#cloud-config\nhostname: corral-disk\nssh_authorized_keys:\n  - ${pub}\n${cmds}`);
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, `#cloud-config\nhostname: corral-disk\nssh_authorized_keys: ${pub}\n`);
    const seed = await makeSeed(dir, "nocloud", `#cloud-config\nhostname: corral-live\nssh_authorized_keys:\n  - ${pub}\n`);

    await boot({ iso: ARTIFACTS.iso, isoAs: "cdrom", disks: [disk, small], seed }, dir, "live", key, async (t) => {
      assert.match(await out(t, "sudo ros os list"), /running from RAM: no installed disk/);
      await out(t, "cat > /tmp/installed.yml", installed);
      await out(t, "cat > /tmp/bad.yml", bad);
      const tooSmall = await ssh(t, "sudo ros install -f --no-reboot -d /dev/vdb -c /tmp/installed.yml");
      assert.equal(tooSmall.code, 1, tooSmall.stdout + tooSmall.stderr);
      assert.match(tooSmall.stderr, /\/dev\/vdb is too small: 0\.1 GiB, and Corral needs at least/);
      const badConfig = await ssh(t, "sudo ros install -f --no-reboot -d /dev/vda -c /tmp/bad.yml");
      assert.equal(badConfig.code, 1, badConfig.stdout + badConfig.stderr);
      assert.match(badConfig.stderr, /nothing was written[\s\S]*\/tmp\/bad\.yml:3:22: `ssh_authorized_keys` must be a list/);
      const noTty = await ssh(t, "sudo ros install --no-reboot -d /dev/vda -c /tmp/installed.yml");
      assert.equal(noTty.code, 1, "without a terminal and without -f, nothing is erased");
      assert.match(noTty.stderr, /refusing to erase a disk without asking/);
      assert.ok(allZero(disk) && allZero(small), "a refused install writes nothing");
      const ok = await ssh(t, "sudo ros install -f --no-reboot -d /dev/vda -c /tmp/installed.yml");
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /Corral is installed on \/dev\/vda/);
    });

    const tar = await rootfsTar();
    await boot({ disks: [disk] }, dir, "disk-bios", key, async (t) => {
      assert.equal((await out(t, "hostname")).trim(), "corral-disk");
      assert.equal((await out(t, "ros --version")).trim(), version());
      assert.match(await out(t, "cat /proc/cmdline"), /ros\.slot=A /);
      assert.match(await out(t, "sudo ros os list"), new RegExp(`^A  ${version().replace(/\./g, "\\.")} +running, default, next boot\nB  \\(empty\\)`, "m"));
      assert.match(await out(t, "cat /proc/mounts"), /^\/dev\/vda5 \/home /m);
      await out(t, "echo kept > /home/rancher/kept.txt");
      await out(t, "sudo ros config set rancher.environment.CORRAL_KEPT kept");
      await out(t, "sudo docker import - local/keeper:1", tar);
      await out(t, "sudo docker run -d --restart=always --name keeper local/keeper:1 sleep 1000000");
    });

    await boot({ disks: [disk], uefi: true }, dir, "disk-uefi", key, async (t) => {
      assert.equal((await out(t, "cat /home/rancher/kept.txt")).trim(), "kept");
      assert.equal((await out(t, "sudo ros config get rancher.environment.CORRAL_KEPT")).trim(), "kept");
      assert.equal(await out(t, "cat /var/log/bootcmd.log /var/log/runcmd.log"), "boot\nboot\nrun\n", "bootcmd on both boots, runcmd on the first only");
      const until = Date.now() + 4 * 60_000;
      for (;;) {
        const ps = await ssh(t, "sudo docker ps --format '{{.Names}} {{.Status}}'");
        if (/^keeper Up/m.test(ps.stdout)) break;
        if (Date.now() > until) assert.fail(`the user container did not come back: ${ps.stdout}${ps.stderr}`);
        await new Promise((r) => setTimeout(r, 5000));
      }
    });
  });
});
