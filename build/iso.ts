// The bootable ISO: GRUB for BIOS and UEFI (grub-mkrescue), the kernel and the initrd.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../os/exec.ts";

import { BASE_KERNEL_ARGS } from "../os/install/grub-cfg.ts";

/** The live ISO boots with the same kernel arguments as an installed disk. */
export const KERNEL_CMDLINE = BASE_KERNEL_ARGS;

const grubCfg = (version: string) => `set timeout=1
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set gfxpayload=text
menuentry "Corral ${version}" {
  linux /boot/vmlinuz ${KERNEL_CMDLINE}
  initrd /boot/initrd
}
`;

export async function buildIso(vmlinuz: string, initrd: string, version: string, out: string): Promise<void> {
  const stage = mkdtempSync(join(dirname(out), ".iso-"));
  try {
    mkdirSync(join(stage, "boot/grub"), { recursive: true });
    copyFileSync(vmlinuz, join(stage, "boot/vmlinuz"));
    copyFileSync(initrd, join(stage, "boot/initrd"));
    writeFileSync(join(stage, "boot/grub/grub.cfg"), grubCfg(version));
    await run("grub-mkrescue", ["--locales=", "--fonts=", "--themes=", "--compress=xz", "-o", `${out}.tmp`, stage, "--", "-volid", "CORRAL"]);
    await run("mv", [`${out}.tmp`, out]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
