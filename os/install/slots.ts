// What the installed disk says about its slots: which one this boot came from (ros.slot on the
// kernel command line), what each holds (release.json), and GRUB's choice (grubenv).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cmdlineValue } from "../../cloud-config/cmdline.ts";
import { readCmdline } from "../../cloud-config/load.ts";
import { run } from "../exec.ts";
import { parseGrubEnv, type GrubEnv } from "./grubenv.ts";
import { GRUB_DIR, LABELS, SLOTS, type Slot } from "./layout.ts";
import { withMount } from "./mount.ts";
import { readSlotRelease, type SlotRelease } from "./slot-release.ts";

export interface SlotsView { running?: Slot; env: GrubEnv; slots: { slot: Slot; device?: string; release?: SlotRelease }[] }

const byLabel = (label: string) => run("findfs", [`LABEL=${label}`]).then((r) => r.stdout.trim() || undefined, () => undefined);

export function runningSlot(cmdline = readCmdline()): Slot | undefined {
  const v = cmdlineValue(cmdline, "ros.slot");
  return v === "A" || v === "B" ? v : undefined;
}

export async function readSlots(): Promise<SlotsView> {
  const efi = await byLabel(LABELS.efi);
  const readEnv = (esp: string) => {
    const f = join(esp, GRUB_DIR, "grubenv");
    return existsSync(f) ? parseGrubEnv(readFileSync(f, "utf8")) : {};
  };
  const env = efi ? await withMount(efi, "efi-ro", readEnv, { readOnly: true }) : {};
  const slots = await Promise.all(
    SLOTS.map(async (slot) => {
      const device = await byLabel(LABELS.slot(slot));
      const release = device ? await withMount(device, `slot-${slot}-ro`, readSlotRelease, { readOnly: true }) : undefined;
      return { slot, device, release };
    }),
  );
  return { running: runningSlot(), env, slots };
}
