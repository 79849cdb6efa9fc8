// Boots dist/corral.iso in QEMU (BIOS from a CD, then UEFI from the hybrid ISO as a disk), logs in
// over SSH with a key from the datasource disk, checks the host, and powers it off from inside.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ARTIFACTS } from "../../build/image.ts";
import { version } from "../../build/bundle.ts";
import { Vm, freePort, makeSeed, type SeedKind } from "../../build/vm.ts";
import { offeredAuthMethods, ssh, waitForSsh, type SshTarget } from "./ssh.ts";

const BOOT_BUDGET_MS = 6 * 60_000;

/**
 * `mistakes` adds a typo'd key and a wrong type to the user data: the boot must still reach SSH
 * with the valid keys applied, and `ros config validate` in the guest must point at both lines.
 */
async function bootAndCheck(kind: SeedKind, uefi: boolean, isoAs: "cdrom" | "disk", hostname: string, mistakes = false): Promise<void> {
  assert.ok(existsSync(ARTIFACTS.iso), `${ARTIFACTS.iso} is missing: run npm run build:image`);
  const dir = mkdtempSync(join(tmpdir(), `corral-boot-${kind}-`));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const pub = readFileSync(`${key}.pub`, "utf8").trim();
  const extra = mistakes ? "hostnme: typo\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n" : "";
  const seed = await makeSeed(dir, kind, `#cloud-config\nhostname: ${hostname}\nssh_authorized_keys:\n  - ${pub}\n${extra}`);
  const port = await freePort();
  const vm = new Vm({ iso: ARTIFACTS.iso, isoAs, seed, sshPort: port, uefi, serial: join(dir, "serial.log") });
  after(() => vm.kill());
  const target: SshTarget = { port, key };
  try {
    await waitForSsh(target, BOOT_BUDGET_MS, () => vm.exited === undefined);

    const ver = await ssh(target, "ros --version");
    assert.equal(ver.code, 0, ver.stderr);
    assert.equal(ver.stdout.trim(), version());

    assert.equal((await ssh(target, "hostname")).stdout.trim(), hostname);

    const id = await ssh(target, "id");
    assert.match(id.stdout, /\(sudo\)/, `rancher is not in the sudo group: ${id.stdout}`);

    const ps = await ssh(target, "sudo system-docker ps --format '{{.Names}} {{.Image}}'");
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^console corral\/os-console:/m);

    if (mistakes) await checkConfigInGuest(target, hostname);

    const methods = await offeredAuthMethods(target);
    assert.deepEqual(methods, ["publickey"], "the server must offer key logins only");

    const wrongKey = join(dir, "other");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey]);
    assert.notEqual((await ssh({ ...target, key: wrongKey }, "true")).code, 0, "a key not in the cloud-config must be refused");

    await ssh(target, "sudo poweroff");
    assert.equal(await vm.waitForExit(90_000), 0, "poweroff must end QEMU cleanly");
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- serial console (${join(dir, "serial.log")}) ---\n${vm.serialLog().slice(-4000)}`);
  }
}

async function checkConfigInGuest(target: SshTarget, hostname: string): Promise<void> {
  const v = await ssh(target, "sudo ros config validate -i /var/lib/rancher/conf/cloud-config.d/boot.yml");
  assert.equal(v.code, 1, `validate must fail on the user data: ${v.stdout}${v.stderr}`);
  assert.match(v.stderr, /boot\.yml:5:1: unknown key `hostnme` \(did you mean `hostname`\?/);
  assert.match(v.stderr, /boot\.yml:10:14: `rancher\.network\.interfaces\.eth0\.mtu` must be an MTU from 68 to 65535, not -5/);
  assert.equal((await ssh(target, "sudo ros config get hostname")).stdout.trim(), hostname);
  const set = await ssh(target, "sudo ros config set rancher.network.dns.nameservers '[10.0.2.3]' && sudo ros config get rancher.network.dns.nameservers -o json");
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout), ["10.0.2.3"]);
  const full = await ssh(target, "sudo ros config get rancher.services.console.image");
  assert.match(full.stdout, /^corral\/os-console:/, "the image defaults are a layer of the config the console sees");
}

/** User data with a YAML error: the console names the file and line, and the boot still completes. */
async function bootWithBadUserData(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "corral-boot-bad-"));
  const seed = await makeSeed(dir, "nocloud", "#cloud-config\nhostname: broken\nssh_authorized_keys: [\n  - unterminated\n");
  const vm = new Vm({ iso: ARTIFACTS.iso, isoAs: "disk", seed, sshPort: await freePort(), serial: join(dir, "serial.log") });
  after(() => vm.kill());
  await vm.waitForSerial(/cloud-config: nocloud:\/dev\/vd[a-z]:\/?user-data:4:3: .*\(fix the YAML syntax/, BOOT_BUDGET_MS);
  await vm.waitForSerial(/init: hostname corral\b/, BOOT_BUDGET_MS);
  await vm.waitForSerial(/init: boot complete/, BOOT_BUDGET_MS);
  vm.kill();
}

describe("boot", { timeout: 3 * BOOT_BUDGET_MS }, () => {
  test("BIOS boot from CD with a NoCloud disk: SSH as rancher, ros, hostname, system-docker, poweroff", () =>
    bootAndCheck("nocloud", false, "cdrom", "corral-bios"));
  test("UEFI boot of the same ISO as a disk, with a config drive holding a typo and a wrong type: the same checks, and ros config in the guest", () =>
    bootAndCheck("configdrive", true, "disk", "corral-uefi", true));
  test("bad user data is reported with its line on the console, and the boot completes", bootWithBadUserData);
});
