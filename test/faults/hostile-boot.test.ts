// A host whose config goes bad still boots to SSH on its last good config. First boot: good user
// data, a blank state disk (rancher.state.autoformat on the kernel command line formats it as the
// state partition), and a value saved with `ros config set`. Then cloud-config.yml on the state disk is overwritten with broken YAML, and the second boot's
// user data is an alias bomb. The second boot must report both files at their lines, come up with
// the key, hostname and saved value the good copies had, and list only SSH as open beyond loopback.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { KERNEL_CMDLINE } from "../../build/iso.ts";
import { ARTIFACTS } from "../../build/image.ts";
import { freePort, makeSeed, type VmOptions } from "../../build/vm.ts";
import { BOOT_BUDGET_MS, bootUntilSsh, out, serialTail } from "../boot/guest.ts";
import { ssh } from "../boot/ssh.ts";

// Nine lists of nine aliases of the one before: 9^9 strings if anyone expanded it.
const ALIAS_BOMB = `#cloud-config\nhostname: bombed\n${["a", "b", "c", "d", "e", "f", "g", "h", "i"].map((k, i, all) => (i === 0 ? `${k}: &${k} [lol, lol, lol, lol, lol, lol, lol, lol, lol]` : `${k}: &${k} [${Array(9).fill(`*${all[i - 1]}`).join(", ")}]`)).join("\n")}\n`;
const BROKEN = "rancher:\n  environment:\n    MARK: [unclosed\nhostname: {\n";

test("bad config on the state disk and an alias bomb as user data: positioned errors, and the host boots on its last good config", { timeout: 3 * BOOT_BUDGET_MS }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-faults-boot-"));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const pub = readFileSync(`${key}.pub`, "utf8").trim();
  const disk = join(dir, "state.img");
  writeFileSync(disk, "");
  truncateSync(disk, 1024 * 2 ** 20);
  const direct = { kernel: ARTIFACTS.vmlinuz, initrd: ARTIFACTS.initrd, append: `${KERNEL_CMDLINE} rancher.state.autoformat=[/dev/vda]` };
  const boot = async (userData: string, n: number) => {
    const opts: VmOptions = { direct, disks: [disk], seed: await makeSeed(join(dir, `seed${n}`), "nocloud", userData), sshPort: await freePort(), serial: join(dir, `serial${n}.log`) };
    return bootUntilSsh(opts, key, BOOT_BUDGET_MS);
  };

  const first = await boot(`#cloud-config\nhostname: kept-host\nssh_authorized_keys:\n  - ${pub}\n`, 1);
  try {
    await first.vm.waitForSerial(/state: formatting the blank disk \/dev\/vda as RANCHER_STATE/, BOOT_BUDGET_MS);
    await first.vm.waitForSerial(/state: \/dev\/vda on \/run\/state: \/var\/lib\/rancher, /, BOOT_BUDGET_MS);
    await first.vm.waitForSerial(/init: boot complete/, BOOT_BUDGET_MS);
    await out(first.target, "sudo ros config set rancher.environment.MARK last-good && sudo ros config get rancher.environment.MARK");
    // What services read it leaves the last good copy of each file beside them.
    await out(first.target, `printf '${BROKEN.replace(/\n/g, "\\n")}' | sudo tee /var/lib/rancher/conf/cloud-config.yml >/dev/null`);
    void ssh(first.target, "sudo poweroff");
    assert.equal(await first.vm.waitForExit(90_000), 0, "poweroff must end QEMU cleanly");
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${serialTail(first.vm)}`);
  }

  const second = await boot(ALIAS_BOMB, 2);
  const { vm, target } = second;
  try {
    await vm.waitForSerial(/cloud-config\.yml:\d+:\d+: .*fix the YAML syntax/, BOOT_BUDGET_MS);
    await vm.waitForSerial(/nocloud:\/dev\/vd[a-z]:\/user-data:1:1: the YAML expands too much .*\(use fewer aliases/, BOOT_BUDGET_MS);
    await vm.waitForSerial(/no part of the user data could be read as a cloud-config \(the previous boot\.yml stays in force\)/, BOOT_BUDGET_MS);
    await vm.waitForSerial(/init: boot complete/, BOOT_BUDGET_MS);
    assert.equal((await out(target, "hostname")).trim(), "kept-host");
    assert.equal((await out(target, "sudo ros config get rancher.environment.MARK")).trim(), "last-good");
    const v = await ssh(target, "sudo ros config validate -i /var/lib/rancher/conf/cloud-config.yml");
    assert.equal(v.code, 1, `${v.stdout}${v.stderr}`);
    assert.match(v.stderr, /cloud-config\.yml:4:1: Flow sequence in block collection/);
    const ports = (await out(target, "sudo ss -Hltn")).split("\n").map((l) => l.trim().split(/\s+/)[3]).filter((a): a is string => !!a && !/^(127\.|\[::1\]|\[::ffff:127\.)/.test(a));
    assert.deepEqual([...new Set(ports.map((a) => a.replace(/.*:/, "")))], ["22"], `listening beyond loopback: ${ports.join(", ")}`);
    void ssh(target, "sudo poweroff");
    assert.equal(await vm.waitForExit(90_000), 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${serialTail(vm)}`);
  }
});
