// grub.cfg of an installed disk. Which slot boots is GRUB's environment: `next_slot`, set by an
// upgrade, is tried once (GRUB clears it before booting, so a slot that fails to come up loses the
// next boot to `default_slot`); `default_slot` moves only when a tried slot commits itself.
import { LABELS, SLOTS, SLOT_LABEL_PREFIX, type Slot } from "./layout.ts";

export const BASE_KERNEL_ARGS = "console=tty1 console=ttyS0,115200n8 quiet panic=10";

const entry = (title: string, slot: string, args: string) => `menuentry "${title}" {
  search --no-floppy --label --set=root ${SLOT_LABEL_PREFIX}${slot}
  linux /vmlinuz ${BASE_KERNEL_ARGS} ros.slot=${slot} ${args}
  initrd /initrd
}
`;

export function grubCfg(kernelArgs: string): string {
  const args = `rancher.state.dev=LABEL=${LABELS.state} ${kernelArgs}`.trim();
  const fixed = SLOTS.map((s: Slot) => entry(`Corral, slot ${s}`, s, args)).join("");
  return `# Written by ros install. The slot to boot is in grubenv (ros os list shows it).
set timeout=1
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set gfxpayload=text
load_env
if [ -n "\${next_slot}" ]; then
  set slot="\${next_slot}"
  set tried_slot="\${next_slot}"
  set next_slot=
  save_env next_slot tried_slot
elif [ -n "\${default_slot}" ]; then
  set slot="\${default_slot}"
else
  set slot=A
fi
${entry("Corral", "${slot}", args)}${fixed}`;
}
