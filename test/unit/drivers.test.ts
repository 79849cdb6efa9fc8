// The pure parts of loading drivers: the build's load order (soft dependencies first) and
// coldplug's match of device modaliases against modules.alias.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadOrder, moduleName } from "../../build/kernel.ts";
import { deviceModaliases, modulesFor, parseAliases } from "../../os/init/coldplug.ts";

const K = "/k/lib/modules/6.1.0-57-amd64/kernel";

test("the load order is modprobe's, soft dependencies included, each module once", () => {
  const nfTables = [`insmod ${K}/arch/x86/crypto/crc32c-intel.ko `, `insmod ${K}/crypto/crc32c_generic.ko `, `insmod ${K}/lib/libcrc32c.ko `, `insmod ${K}/net/netfilter/nfnetlink.ko `, `insmod ${K}/net/netfilter/nf_tables.ko `].join("\n");
  const libcrc32c = [`insmod ${K}/arch/x86/crypto/crc32c-intel.ko `, `insmod ${K}/crypto/crc32c_generic.ko `, `insmod ${K}/lib/libcrc32c.ko `].join("\n");
  const builtin = "builtin overlay\n";
  const order = loadOrder([nfTables, libcrc32c, builtin]).map(moduleName);
  assert.deepEqual(order, ["crc32c_intel", "crc32c_generic", "libcrc32c", "nfnetlink", "nf_tables"]);
  assert.equal(moduleName(`${K}/drivers/usb/storage/usb-storage.ko.xz`), "usb_storage");
});

const ALIASES = `# Aliases extracted from modules themselves.
alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e
alias pci:v*d*sv*sd*bc01sc06i01* ahci
alias pci:v000015ADd000007B0sv*sd*bc*sc*i* vmxnet3
alias pci:v*d*sv*sd*bc01sc08i02* nvme
alias usb:v*p*d*dc*dsc*dp*ic08isc06ip50in* usb_storage
alias usb:v*p*d*dc*dsc*dp*ic08isc06ip62in* uas
alias usb:v*p*d*dc*dsc*dp*ic08isc06ip62in* usb_storage
alias cpu:type:x86,ven*fam*mod*:feature:*0094* crc32c_intel
alias vmbus:[0-9a-f]?63* hv_netvsc
alias fs-ext4 ext4
`;

test("modaliases resolve to the shipped drivers that serve them, each once, in the devices' order", () => {
  const table = parseAliases(ALIASES);
  const devices = [
    "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", // virtio-net: no driver here (built in or always loaded)
    "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", // QEMU's ich9-ahci
    "usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip62in00", // a UAS stick
    "pci:v000015ADd000007B0sv000015ADsd000007B0bc02sc00i01", // vmxnet3
    "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", // 82574L
    "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0094,00C0",
    "vmbus:ae63c1b8d",
    "acpi:PNP0A03:", // a bus no shipped module names
    "not-a-modalias",
  ];
  assert.deepEqual(modulesFor(devices, table), ["ahci", "uas", "usb_storage", "vmxnet3", "e1000e", "crc32c_intel", "hv_netvsc"]);
  assert.deepEqual(modulesFor(["pci:v00008086d000010D4sv00008086sd0000A01Fbc02sc00i00"], table), [], "one digit off matches nothing");
  assert.deepEqual(modulesFor(["vmbus:x63"], table), [], "[0-9a-f] is a set");
});

test("device modaliases are read from every bus's devices, each once; devices without one are skipped", () => {
  const sys = mkdtempSync(join(tmpdir(), "corral-sys-"));
  try {
    const dev = (bus: string, name: string, alias?: string) => {
      const dir = join(sys, "bus", bus, "devices", name);
      mkdirSync(dir, { recursive: true });
      if (alias !== undefined) writeFileSync(join(dir, "modalias"), `${alias}\n`);
    };
    dev("pci", "0000:00:1f.2", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01");
    dev("pci", "0000:00:1f.3", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01");
    dev("usb", "usb1");
    dev("virtio", "virtio0", "virtio:d00000001v00001AF4");
    mkdirSync(join(sys, "bus", "empty"));
    assert.deepEqual(deviceModaliases(sys).sort(), ["pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", "virtio:d00000001v00001AF4"]);
    assert.deepEqual(deviceModaliases(join(sys, "missing")), []);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});
