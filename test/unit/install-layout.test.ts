// The installed disk's pure parts: the partition plan sfdisk reads, partition device names, the
// grubenv block GRUB writes in place, and grub.cfg's slot choice.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { grubCfg } from "../../os/install/grub-cfg.ts";
import { GRUBENV_SIZE, parseGrubEnv, serializeGrubEnv } from "../../os/install/grubenv.ts";
import { MIN_DISK_BYTES, PARTITIONS, otherSlot, partitionDevice, sfdiskScript } from "../../os/install/layout.ts";

describe("disk layout", () => {
  test("sfdisk script: GPT, sized partitions in order, the state partition takes the rest", () => {
    const lines = sfdiskScript().trim().split("\n");
    assert.equal(lines[0], "label: gpt");
    assert.equal(lines.length, PARTITIONS.length + 1);
    assert.match(lines[1]!, /^size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="BIOS"$/);
    assert.match(lines.at(-1)!, /^type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="RANCHER_STATE"$/);
  });
  test("the smallest disk holds every partition and some state", () => {
    assert.ok(MIN_DISK_BYTES > (1 + 64 + 512 + 512) * 2 ** 20);
    assert.ok(MIN_DISK_BYTES < 2 * 2 ** 30, "a 2 GiB disk is enough");
  });
  test("partition names: a digit at the end of the disk's name takes a p", () => {
    assert.equal(partitionDevice("/dev/vda", 3), "/dev/vda3");
    assert.equal(partitionDevice("/dev/sdb", 5), "/dev/sdb5");
    assert.equal(partitionDevice("/dev/nvme0n1", 2), "/dev/nvme0n1p2");
    assert.equal(partitionDevice("/dev/mmcblk0", 1), "/dev/mmcblk0p1");
  });
  test("the other slot", () => {
    assert.equal(otherSlot("A"), "B");
    assert.equal(otherSlot("B"), "A");
  });
});

describe("grubenv", () => {
  test("always 1024 bytes, padded with #, and read back", () => {
    const text = serializeGrubEnv({ default_slot: "A", tried_slot: "B", next_slot: "" });
    assert.equal(Buffer.byteLength(text), GRUBENV_SIZE);
    assert.match(text, /^# GRUB Environment Block\ndefault_slot=A\ntried_slot=B\n#+$/);
    assert.deepEqual(parseGrubEnv(text), { default_slot: "A", tried_slot: "B" });
  });
  test("GRUB's own tool reads what we write, and we read what it writes", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-grubenv-"));
    const f = join(dir, "grubenv");
    writeFileSync(f, serializeGrubEnv({ default_slot: "B", note: "a\\b" }));
    assert.equal(execFileSync("grub-editenv", [f, "list"], { encoding: "utf8" }), "default_slot=B\nnote=a\\b\n");
    execFileSync("grub-editenv", [f, "set", "next_slot=A"]);
    assert.deepEqual(parseGrubEnv(readFileSync(f, "utf8")), { default_slot: "B", note: "a\\b", next_slot: "A" });
  });
  test("refuses what does not fit or is not a name", () => {
    assert.throws(() => serializeGrubEnv({ big: "x".repeat(GRUBENV_SIZE) }), /do not fit/);
    assert.throws(() => serializeGrubEnv({ "bad name": "x" }), /bad variable name/);
  });
});

describe("grub.cfg", () => {
  const cfg = grubCfg("rancher.debug=true");
  test("a slot to try boots once: GRUB clears next_slot and remembers it as tried before booting", () => {
    assert.match(cfg, /if \[ -n "\$\{next_slot\}" \]; then\n {2}set slot="\$\{next_slot\}"\n {2}set tried_slot="\$\{next_slot\}"\n {2}set next_slot=\n {2}save_env next_slot tried_slot\n/);
    assert.match(cfg, /elif \[ -n "\$\{default_slot\}" \]; then\n {2}set slot="\$\{default_slot\}"\nelse\n {2}set slot=A\nfi/);
  });
  test("each entry finds its slot by label and tells the kernel which slot and which state", () => {
    assert.match(cfg, /search --no-floppy --label --set=root CORRAL_\$\{slot\}\n {2}linux \/vmlinuz .*panic=10 ros\.slot=\$\{slot\} rancher\.state\.dev=LABEL=RANCHER_STATE rancher\.debug=true\n/);
    assert.match(cfg, /menuentry "Corral, slot B" \{\n {2}search --no-floppy --label --set=root CORRAL_B\n/);
  });
  test("GRUB's own checker accepts it", () => {
    execFileSync("grub-script-check", [], { input: cfg });
  });
});

