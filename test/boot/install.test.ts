// The live ISO on a bonded LAN (bond.ts), then ros install from it to a blank disk (it refuses a
// too small disk and a cloud-config with errors before writing anything), then the installed disk
// booting alone (UEFI) and upgrading over HTTP to a newer build: it boots once, commits itself, and
// what persists on the state partition is back, bootcmd having run on both boots and runcmd once
// per instance. Images signed by another key are refused. Upgrades that fail (a power cut, a kernel
// that panics) are test/faults/upgrade-faults.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, truncateSync, writeFileSync } from "node:fs";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ARTIFACTS } from "../../build/image.ts";
import { version } from "../../build/bundle.ts";
import { makeSeed, freePort, type Vm } from "../../build/vm.ts";
import { brokenUpgradeImage, nextVersion, testSigningKey } from "../fixtures/next-build.ts";
import { rootfsTar } from "../fixtures/busybox-image.ts";
import { ssh, waitForSsh, type SshTarget } from "./ssh.ts";
import { boot, bootUntilSsh, BOOT_BUDGET_MS, checkThenPowerOff, esc, out, serialTail } from "./guest.ts";
import { BONDED_HARDWARE, bondedUserData, checkBondedHost, noBondExamples } from "./bond.ts";
import { buildNext, serveImages } from "./upgrade-images.ts";

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

describe("live, install and upgrade", { timeout: 8 * BOOT_BUDGET_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-install-"));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const pub = readFileSync(`${key}.pub`, "utf8").trim();
  const disk = join(dir, "disk.img");
  const small = join(dir, "small.img");
  const signing = testSigningKey();
  const publicKey = createPublicKey(signing.key).export({ type: "spki", format: "der" }).toString("base64");
  let installed = false;
  let next: Promise<string> | undefined;
  let live: Promise<{ vm: Vm; target: SshTarget }> | undefined;

  /** The live guest, booted once for the bond's test and the install's. */
  const liveGuest = () => (live ??= (async () => {
    assert.ok(existsSync(ARTIFACTS.iso), `${ARTIFACTS.iso} is missing: run npm run build:image`);
    // Built before the live guest boots: beside it, the build starves the guest under TCG.
    next = buildNext();
    await next.catch(() => undefined);
    writeFileSync(disk, "");
    truncateSync(disk, 2 * 2 ** 30);
    writeFileSync(small, "");
    truncateSync(small, 64 * 2 ** 20);
    const userData = noBondExamples ? `#cloud-config\nhostname: corral-live\nssh_authorized_keys:\n  - ${pub}\n` : bondedUserData(pub);
    const seed = await makeSeed(dir, "nocloud", userData);
    const hardware = noBondExamples ? {} : BONDED_HARDWARE;
    return bootUntilSsh({ iso: ARTIFACTS.iso, isoAs: "cdrom", disks: [disk, small], seed, sshPort: await freePort(), serial: join(dir, "live.log"), ...hardware }, key, BOOT_BUDGET_MS);
  })());

  test("the live ISO with ../shared/examples/basic.yml and network-static-bond.yml (MIME parts) on two NICs: basic's hostname, motd and runcmd; the bond, its address, MTU, gateway, DNS and VLAN; ahci for a SATA controller at boot, vmxnet3 for a NIC plugged in later; pulling the active NIC's cable fails over, SSH stays up", { skip: noBondExamples }, async () => {
    const { vm, target } = await liveGuest();
    await checkBondedHost(vm, target).catch((e: Error) => {
      throw new Error(`${e.message}\n${serialTail(vm)}`);
    });
  });

  test("ros install from the live ISO to a blank disk, refusing a small disk and a bad config first", async () => {
    const installedConfig = join(dir, "installed.yml");
    // bootcmd runs every boot, runcmd once per instance (this one has no datasource, so one instance).
    const cmds = `bootcmd:\n  - echo boot >> /var/log/bootcmd.log\nruncmd:\n  - echo run >> /var/log/runcmd.log\n`;
    writeFileSync(installedConfig, `#cloud-config\nhostname: corral-disk\nssh_authorized_keys:\n  - ${pub}\n${cmds}rancher:\n  upgrade:\n    public_key: ${publicKey}\n`);
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, `#cloud-config\nhostname: corral-disk\nssh_authorized_keys: ${pub}\n`);
    const { vm, target } = await liveGuest();
    await checkThenPowerOff(vm, target, "live", async (t) => {
      assert.match(await out(t, "sudo ros os list"), /running from RAM: no installed disk/);
      await out(t, "cat > /tmp/installed.yml", installedConfig);
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
    installed = true;
  });

  test("the disk boots alone (UEFI) from slot A; upgrades over HTTP: a wrongly signed image is refused, a newer build commits itself and the state persists (/home, the config, a user and a system container, runcmd's once-per-instance mark); a rollback without a reboot changes only what boots next", async (t) => {
    if (!installed) return t.skip("the install failed");
    const nextImage = await next!;
    const stranger = join(dir, "stranger.tar");
    await brokenUpgradeImage(generateKeyPairSync("ed25519").privateKey, stranger);
    const images = await serveImages({ "/next.tar": nextImage, "/stranger.tar": stranger });
    t.after(() => {
      images.server.closeAllConnections();
      images.server.close();
    });
    const url = (p: string) => `http://10.0.2.2:${images.port}${p}`;
    const v1 = version();
    const v2 = nextVersion();
    const tar = await rootfsTar();

    await boot({ disks: [disk], uefi: true, reboot: true }, dir, "disk-uefi", key, async (t, vm) => {
      assert.equal((await out(t, "hostname")).trim(), "corral-disk");
      assert.equal((await out(t, "ros --version")).trim(), v1);
      assert.match(await out(t, "cat /proc/cmdline"), /ros\.slot=A /);
      assert.match(await out(t, "sudo ros os list"), new RegExp(`^A  ${esc(v1)} +running, default, next boot\nB  \\(empty\\)`, "m"));
      // The host's mounts (init's): the console has its own.
      const mounts = await out(t, "sudo cat /proc/1/mounts");
      for (const d of ["/home", "/var/lib/docker", "/var/lib/system-docker", "/var/lib/rancher"]) assert.match(mounts, new RegExp(`^/dev/vda5 ${d} `, "m"));
      await out(t, "echo kept > /home/rancher/kept.txt");
      await out(t, "sudo ros config set rancher.environment.CORRAL_KEPT kept");
      await out(t, "sudo docker import - local/keeper:1", tar);
      await out(t, "sudo docker run -d --restart=always --name keeper local/keeper:1 sleep 1000000");
      await out(t, `sudo system-docker create --name sd-kept corral/os-base:${v1} true`);

      const refused = await ssh(t, `sudo ros os upgrade --no-reboot -i ${url("/stranger.tar")}`);
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /does not verify with rancher\.upgrade\.public_key.*the running slot is untouched/);

      // A newer build: written to B, tried once, committed once healthy.
      const up = await ssh(t, `sudo ros os upgrade -i ${url("/next.tar")}`);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      assert.match(up.stdout, new RegExp(`Corral ${esc(v2)} is in slot B \\(signature verified\\)`));
      const shown = [...up.stdout.matchAll(/^download: ([\d.]+) MiB of ([\d.]+) MiB$/gm)];
      assert.ok(shown.length >= 5 && shown.at(-1)![1] === shown.at(-1)![2], `the download's progress, to its end:\n${up.stdout}`);
      await vm.waitForSerial(new RegExp(`upgrade: slot B \\(${esc(v2)}\\) is healthy: committed`), BOOT_BUDGET_MS);
      await waitForSsh(t, BOOT_BUDGET_MS, () => vm.exited === undefined);
      assert.equal((await out(t, "ros --version")).trim(), v2);
      assert.match(await out(t, "cat /proc/cmdline"), /ros\.slot=B /);
      const listed = await out(t, "sudo ros os list");
      assert.match(listed, new RegExp(`^A  ${esc(v1)} +\nB  ${esc(v2)} +running, default, next boot$`, "m"));
      assert.match(listed, new RegExp(`^last upgrade: slot B \\(${esc(v2)}\\) came up healthy and is the default now; slot A \\(${esc(v1)}\\) is kept`, "m"));
      assert.equal((await out(t, "cat /home/rancher/kept.txt")).trim(), "kept", "the state partition outlives the upgrade");
      assert.equal((await out(t, "sudo ros config get rancher.environment.CORRAL_KEPT")).trim(), "kept");
      assert.equal(await out(t, "cat /var/log/bootcmd.log /var/log/runcmd.log"), "boot\nboot\nrun\n", "bootcmd on both boots, runcmd on the first only");
      await waitForKeeper(t);
      const sd = await out(t, "sudo system-docker ps -a --format '{{.Names}} {{.Image}}'");
      assert.match(sd, new RegExp(`^sd-kept corral/os-base:${esc(v1)}$`, "m"), "a system container outlives the upgrade");
      assert.match(sd, new RegExp(`^console corral/os-console:${esc(v2)}$`, "m"));

      // A rollback without a reboot only changes what boots next.
      assert.match(await out(t, "sudo ros os rollback --no-reboot"), new RegExp(`slot A \\(Corral ${esc(v1)}\\) boots from now on`));
      assert.match(await out(t, "sudo ros os list"), new RegExp(`^A  ${esc(v1)} +default, next boot$`, "m"));
    });
  });
});

async function waitForKeeper(t: SshTarget): Promise<void> {
  const until = Date.now() + 4 * 60_000;
  for (;;) {
    const ps = await ssh(t, "sudo docker ps --format '{{.Names}} {{.Status}}'");
    if (/^keeper Up/m.test(ps.stdout)) return;
    if (Date.now() > until) assert.fail(`the user container did not come back: ${ps.stdout}${ps.stderr}`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}
