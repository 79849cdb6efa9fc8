// Upgrades that go wrong, on a disk installed from the live ISO: the power cut (QEMU killed) while
// an image streams into the other slot leaves the running slot booting, with the half-written one
// named; a rollback to it is refused; and a signed build whose kernel panics is tried once, after
// which GRUB boots the old slot by itself and `ros os list` says what happened.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { createPublicKey } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { version } from "../../build/bundle.ts";
import { ARTIFACTS } from "../../build/image.ts";
import { makeSeed } from "../../build/vm.ts";
import { boot, BOOT_BUDGET_MS, esc, out } from "../boot/guest.ts";
import { ssh, waitForSsh } from "../boot/ssh.ts";
import { serveImages } from "../boot/upgrade-images.ts";
import { brokenUpgradeImage, testSigningKey } from "../fixtures/next-build.ts";

test("a power cut mid-upgrade and a kernel that panics: the host comes back on the slot it ran, and says why", { timeout: 6 * BOOT_BUDGET_MS }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "corral-upgrade-faults-"));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const pub = readFileSync(`${key}.pub`, "utf8").trim();
  const signing = testSigningKey();
  const publicKey = createPublicKey(signing.key).export({ type: "spki", format: "der" }).toString("base64");
  const disk = join(dir, "disk.img");
  writeFileSync(disk, "");
  truncateSync(disk, 2 * 2 ** 30);
  const installed = join(dir, "installed.yml");
  writeFileSync(installed, `#cloud-config\nhostname: corral-faults\nssh_authorized_keys:\n  - ${pub}\nrancher:\n  upgrade:\n    public_key: ${publicKey}\n`);
  const broken = join(dir, "broken.tar");
  await brokenUpgradeImage(signing.key, broken);
  const images = await serveImages({ "/broken.tar": broken });
  t.after(() => {
    images.server.closeAllConnections();
    images.server.close();
  });
  const url = (p: string) => `http://10.0.2.2:${images.port}${p}`;
  const v1 = version();

  const seed = await makeSeed(dir, "nocloud", `#cloud-config\nssh_authorized_keys:\n  - ${pub}\n`);
  // The ISO as a disk (GRUB reads it faster than a CD) is vda; the blank disk is vdb.
  await boot({ iso: ARTIFACTS.iso, isoAs: "disk", disks: [disk], seed }, dir, "live", key, async (g) => {
    await out(g, "cat > /tmp/installed.yml", installed);
    assert.match(await out(g, "sudo ros install -f --no-reboot -d /dev/vdb -c /tmp/installed.yml"), /Corral is installed on \/dev\/vdb/);
  });

  await boot({ disks: [disk], reboot: true }, dir, "disk", key, async (g, vm) => {
    assert.match(await out(g, "sudo ros os list"), new RegExp(`^A  ${esc(v1)} +running, default, next boot\nB  \\(empty\\)`, "m"));
    // The power is cut once the guest says it is writing (its record), well before the 16 s the image takes.
    const writing = ssh(g, `sudo ros os upgrade --no-reboot -i ${url("/slow/broken.tar")}`);
    const until = Date.now() + 120_000;
    while (!/"outcome": "writing"/.test((await ssh(g, "sudo cat /var/lib/rancher/conf/upgrade/last.json")).stdout)) {
      if (Date.now() > until) assert.fail("the slow upgrade did not start writing within 120 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    vm.kill();
    await vm.waitForExit();
    await writing;
  });

  await boot({ disks: [disk], reboot: true }, dir, "after-power-cut", key, async (g, vm) => {
    assert.match(await out(g, "cat /proc/cmdline"), /ros\.slot=A /);
    assert.match(await out(g, "sudo ros os list"), new RegExp(`^A  ${esc(v1)} +running, default, next boot\nB  \\(empty\\) *\nlast upgrade: slot B \\(0\\.0\\.0-broken\\) was being written and is not complete`, "m"));
    const json = JSON.parse(await out(g, "sudo ros os list -o json")) as { running: string; slots: { slot: string; version: string | null; default: boolean }[]; lastUpgrade: { outcome: string; slot: string } };
    assert.equal(json.running, "A");
    assert.deepEqual(json.slots.map((s) => [s.slot, s.version, s.default]), [["A", v1, true], ["B", null, false]]);
    assert.deepEqual([json.lastUpgrade.outcome, json.lastUpgrade.slot], ["writing", "B"]);
    const rollback = await ssh(g, "sudo ros os rollback --no-reboot");
    assert.equal(rollback.code, 1, rollback.stdout + rollback.stderr);
    assert.match(rollback.stderr, /slot B holds no complete release/);

    // Its kernel panics (panic=10 reboots), and GRUB goes back to A by itself.
    const bad = await ssh(g, `sudo ros os upgrade -i ${url("/broken.tar")}`);
    assert.equal(bad.code, 0, bad.stdout + bad.stderr);
    await vm.waitForSerial(/Kernel panic - not syncing/, BOOT_BUDGET_MS);
    await vm.waitForSerial(/upgrade: slot B was tried and did not commit; slot A/, BOOT_BUDGET_MS);
    await waitForSsh(g, BOOT_BUDGET_MS, () => vm.exited === undefined);
    assert.match(await out(g, "cat /proc/cmdline"), /ros\.slot=A /);
    const after = await out(g, "sudo ros os list");
    assert.match(after, new RegExp(`^A  ${esc(v1)} +running, default, next boot\nB  0\\.0\\.0-broken *$`, "m"));
    assert.match(after, new RegExp(`^last upgrade: slot B \\(0\\.0\\.0-broken\\) did not come up, so the host went back to slot A \\(${esc(v1)}\\) by itself`, "m"));
  });
});
