// ros install from the live ISO to a blank disk (it refuses a too small disk and a cloud-config with
// errors before writing anything), then the installed disk booting alone (UEFI, later BIOS) and
// upgrading over HTTP: to a newer build (it boots once, commits itself, and what persists on the
// state partition is back, bootcmd having run on both boots and runcmd once per instance), powered
// off in the middle of a second (the running slot boots), and to a broken one (the kernel panics
// and the host comes back on the old slot by itself). Images signed by another key are refused.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, readSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ARTIFACTS } from "../../build/image.ts";
import { version } from "../../build/bundle.ts";
import { freePort, makeSeed, type Vm, type VmOptions } from "../../build/vm.ts";
import { brokenUpgradeImage, nextVersion, testSigningKey } from "../fixtures/next-build.ts";
import { waitForSsh } from "./ssh.ts";
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

/** Boots until SSH answers, runs `check`, and powers off from inside; `check` may reboot the guest. */
async function boot(o: Omit<VmOptions, "sshPort" | "serial">, dir: string, name: string, key: string, check: (t: SshTarget, vm: Vm) => Promise<void>): Promise<void> {
  const port = await freePort();
  const { vm, target: t } = await bootUntilSsh({ ...o, sshPort: port, serial: join(dir, `${name}.log`) }, key, BOOT_BUDGET_MS).catch((e: Error) => {
    throw new Error(`${name}: ${e.message}`);
  });
  try {
    await check(t, vm);
    if (vm.exited !== undefined) return;
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

const esc = (s: string) => s.replace(/[.+]/g, "\\$&");

/**
 * The upgrade images, served to the guest from the host's loopback (the guest reaches it as
 * 10.0.2.2). `/slow/…` sends 512 KiB a second, so a test can cut the power mid-download.
 */
function serveImages(files: Record<string, string>): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const slow = req.url!.startsWith("/slow/");
    const file = files[req.url!.replace(/^\/slow/, "")];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(statSync(file).size) });
    const body = createReadStream(file, { highWaterMark: slow ? 64 * 1024 : 256 * 1024 });
    const resume = () => (slow ? setTimeout(() => body.resume(), 125) : body.resume());
    body.on("data", (c) => {
      body.pause();
      if (res.write(c)) resume();
      else res.once("drain", resume);
    });
    body.on("end", () => res.end());
    res.on("close", () => body.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/** The next version's upgrade image, built by a child process while the install test boots. */
function buildNext(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["--import", "tsx", "-e", 'const m = await import("./test/fixtures/next-build.ts"); console.log("NEXT=" + m.nextUpgradeImage());'], { cwd: join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", (code) => {
      const m = /^NEXT=(.+)$/m.exec(out);
      if (code === 0 && m) resolve(m[1]!);
      else reject(new Error(`building the next version failed (${code}):\n${out.slice(-3000)}`));
    });
  });
}

describe("install and upgrade", { timeout: 8 * BOOT_BUDGET_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-install-"));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const pub = readFileSync(`${key}.pub`, "utf8").trim();
  const disk = join(dir, "disk.img");
  const signing = testSigningKey();
  const publicKey = createPublicKey(signing.key).export({ type: "spki", format: "der" }).toString("base64");
  let installed = false;
  let next: Promise<string> | undefined;

  test("ros install from the ISO to a blank disk, refusing a small disk and a bad config first", async () => {
    assert.ok(existsSync(ARTIFACTS.iso), `${ARTIFACTS.iso} is missing: run npm run build:image`);
    next = buildNext();
    next.catch(() => undefined);
    const small = join(dir, "small.img");
    writeFileSync(disk, "");
    truncateSync(disk, 2 * 2 ** 30);
    writeFileSync(small, "");
    truncateSync(small, 64 * 2 ** 20);
    const installedConfig = join(dir, "installed.yml");
    // bootcmd runs every boot, runcmd once per instance (this one has no datasource, so one instance).
    const cmds = `bootcmd:\n  - echo boot >> /var/log/bootcmd.log\nruncmd:\n  - echo run >> /var/log/runcmd.log\n`;
    writeFileSync(installedConfig, `#cloud-config\nhostname: corral-disk\nssh_authorized_keys:\n  - ${pub}\n${cmds}rancher:\n  upgrade:\n    public_key: ${publicKey}\n`);
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, `#cloud-config\nhostname: corral-disk\nssh_authorized_keys: ${pub}\n`);
    const seed = await makeSeed(dir, "nocloud", `#cloud-config\nhostname: corral-live\nssh_authorized_keys:\n  - ${pub}\n`);

    await boot({ iso: ARTIFACTS.iso, isoAs: "cdrom", disks: [disk, small], seed }, dir, "live", key, async (t) => {
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

  test("the disk boots alone (UEFI) from slot A; upgrades over HTTP: a wrongly signed image is refused, a newer build commits itself and the state persists (/home, the config, a user and a system container, runcmd's once-per-instance mark), a power cut mid-download leaves the running slot booting (BIOS), and a broken one falls back by itself", async (t) => {
    if (!installed) return t.skip("the install failed");
    const nextImage = await next!;
    const broken = join(dir, "broken.tar");
    await brokenUpgradeImage(signing.key, broken);
    const stranger = join(dir, "stranger.tar");
    await brokenUpgradeImage(generateKeyPairSync("ed25519").privateKey, stranger);
    const images = await serveImages({ "/next.tar": nextImage, "/broken.tar": broken, "/stranger.tar": stranger });
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

      // A rollback without a reboot only changes what boots next...
      assert.match(await out(t, "sudo ros os rollback --no-reboot"), new RegExp(`slot A \\(Corral ${esc(v1)}\\) boots from now on`));
      assert.match(await out(t, "sudo ros os list"), new RegExp(`^A  ${esc(v1)} +default, next boot$`, "m"));

      // ...and an upgrade writing to A takes that back first: the power is cut (QEMU killed) while
      // the image streams in, slowly, and what boots next is B, which is running.
      const writing = ssh(t, `sudo ros os upgrade --no-reboot -i ${url("/slow/broken.tar")}`);
      // Cut once the guest says it is writing (its record), well before the 16 s the image takes.
      const until = Date.now() + 120_000;
      while (!/"outcome": "writing"/.test((await ssh(t, "sudo cat /var/lib/rancher/conf/upgrade/last.json")).stdout)) {
        if (Date.now() > until) assert.fail("the slow upgrade did not start writing within 120 s");
        await new Promise((r) => setTimeout(r, 250));
      }
      vm.kill();
      await vm.waitForExit();
      await writing;
    });

    await boot({ disks: [disk], reboot: true }, dir, "after-power-cut", key, async (t, vm) => {
      assert.equal((await out(t, "ros --version")).trim(), v2);
      assert.match(await out(t, "cat /proc/cmdline"), /ros\.slot=B /);
      assert.match(await out(t, "sudo ros os list"), new RegExp(`^A  \\(empty\\) +\nB  ${esc(v2)} +running, default, next boot\nlast upgrade: slot A \\(0\\.0\\.0-broken\\) was being written and is not complete`, "m"));
      const json = JSON.parse(await out(t, "sudo ros os list -o json")) as { running: string; slots: { slot: string; version: string | null; default: boolean }[]; lastUpgrade: { outcome: string; slot: string } };
      assert.equal(json.running, "B");
      assert.deepEqual(json.slots.map((s) => [s.slot, s.version, s.default]), [["A", null, false], ["B", v2, true]]);
      assert.deepEqual([json.lastUpgrade.outcome, json.lastUpgrade.slot], ["writing", "A"]);
      const rollback = await ssh(t, "sudo ros os rollback --no-reboot");
      assert.equal(rollback.code, 1, rollback.stdout + rollback.stderr);
      assert.match(rollback.stderr, /slot A holds no complete release/);

      // A broken build: its kernel panics (panic=10 reboots), and GRUB goes back to B by itself.
      const bad = await ssh(t, `sudo ros os upgrade -i ${url("/broken.tar")}`);
      assert.equal(bad.code, 0, bad.stdout + bad.stderr);
      await vm.waitForSerial(/Kernel panic - not syncing/, BOOT_BUDGET_MS);
      await vm.waitForSerial(/upgrade: slot A was tried and did not commit; slot B/, BOOT_BUDGET_MS);
      await waitForSsh(t, BOOT_BUDGET_MS, () => vm.exited === undefined);
      assert.match(await out(t, "cat /proc/cmdline"), /ros\.slot=B /);
      const after = await out(t, "sudo ros os list");
      assert.match(after, new RegExp(`^A  0\\.0\\.0-broken +\nB  ${esc(v2)} +running, default, next boot$`, "m"));
      assert.match(after, new RegExp(`^last upgrade: slot A \\(0\\.0\\.0-broken\\) did not come up, so the host went back to slot B \\(${esc(v2)}\\) by itself`, "m"));
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
