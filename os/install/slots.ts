// What the installed disk says about its slots: which one this boot came from (ros.slot on the
// kernel command line), what each holds (release.json), and GRUB's choice (grubenv).
import { cmdlineValue } from "../../cloud-config/cmdline.ts";
import { readCmdline } from "../../cloud-config/load.ts";
import { byLabel, readBootEnv } from "./boot-env.ts";
import type { GrubEnv } from "./grubenv.ts";
import { LABELS, SLOTS, type Slot } from "./layout.ts";
import { withMount } from "./mount.ts";
import { readSlotRelease, type SlotRelease } from "./slot-release.ts";

export interface SlotsView { running?: Slot; env: GrubEnv; slots: { slot: Slot; device?: string; release?: SlotRelease }[] }

export function runningSlot(cmdline = readCmdline()): Slot | undefined {
  const v = cmdlineValue(cmdline, "ros.slot");
  return v === "A" || v === "B" ? v : undefined;
}

export async function readSlots(): Promise<SlotsView> {
  const env = await readBootEnv();
  const slots = await Promise.all(
    SLOTS.map(async (slot) => {
      const device = await byLabel(LABELS.slot(slot));
      const release = device ? await withMount(device, `slot-${slot}-ro`, readSlotRelease, { readOnly: true }) : undefined;
      return { slot, device, release };
    }),
  );
  return { running: runningSlot(), env, slots };
}
