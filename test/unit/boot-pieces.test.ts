import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readConfigDriveTree } from "../../cloud-config/datasources/configdrive.ts";
import { readNocloudTree } from "../../cloud-config/datasources/nocloud.ts";
import { makeSeed } from "../../build/vm.ts";
import { moduleNames } from "../../os/init/modules.ts";
import { failedModules } from "../../os/init/modprobe.ts";

test("/etc/modules gives the names to load, in its order, without comments or options", () => {
  const etcModules = "# Loaded at boot in this order\ncrc32c_generic\nlibcrc32c\n\nnf_tables  # after libcrc32c\nbonding max_bonds=0\n";
  assert.deepEqual(moduleNames(etcModules), ["crc32c_generic", "libcrc32c", "nf_tables", "bonding"]);
});

test("modprobe failures are summarised per module", () => {
  const stderr = "modprobe -a a b failed (1): modprobe: can't load module crc32c-intel (kernel/arch/x86/crypto/crc32c-intel.ko): No such device\nmodprobe: can't load module e1000 (kernel/drivers/e1000.ko): Invalid argument\n";
  assert.equal(failedModules(stderr), "crc32c-intel (No such device), e1000 (Invalid argument)");
  assert.equal(failedModules("modprobe: out of memory\n"), "modprobe: out of memory");
});

for (const [kind, readTree] of [["nocloud", readNocloudTree], ["configdrive", readConfigDriveTree]] as const) {
  test(`the ${kind} reader finds user data where the seed maker put it`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-seed-"));
    await makeSeed(dir, kind, "#cloud-config\nhostname: h\n");
    const found = readTree(join(dir, `${kind}-tree`));
    assert.equal(found?.userData?.toString(), "#cloud-config\nhostname: h\n");
    assert.equal(found?.metadata.instanceId, "corral-vm");
    assert.equal(readTree(dir), undefined);
  });
}
