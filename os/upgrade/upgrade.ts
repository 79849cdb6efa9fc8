// ros os upgrade: streams an image into the slot that is not running and, only once it is complete
// and verified, tells GRUB to try that slot once. The running slot is never written, so an
// interrupted download or a power cut at any point leaves the host booting what it booted before.
import type { KeyObject } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { byLabel, updateBootEnv } from "../install/boot-env.ts";
import { LABELS, otherSlot, type Slot } from "../install/layout.ts";
import { withMount } from "../install/mount.ts";
import { readSlotRelease, writeSlotRelease } from "../install/slot-release.ts";
import { runningSlot } from "../install/slots.ts";
import { VERSION } from "../version.ts";
import { ImageRejected, receiveImage } from "./receive.ts";
import { IMAGE_FILES, MANIFEST, type UpgradeRelease } from "./release.ts";
import { writeRecord } from "./record.ts";
import { openImage } from "./source.ts";

export interface UpgradeOptions {
  image: string;
  /** Write the image even when it is the version already running. */
  force?: boolean;
  publicKey?: KeyObject;
  /** Bytes read so far, and the total when the source says it. */
  onBytes?: (n: number, total?: number) => void;
}

export async function upgrade(o: UpgradeOptions): Promise<{ slot: Slot; release: UpgradeRelease }> {
  const running = runningSlot();
  if (!running) throw new ImageRejected(`this host runs from RAM (no ros.slot on the kernel command line): install it to a disk first (ros install -d DISK)`);
  const slot = otherSlot(running);
  const device = await byLabel(LABELS.slot(slot));
  if (!device) throw new ImageRejected(`no partition labelled ${LABELS.slot(slot)} to write slot ${slot} to`);
  const src = await openImage(o.image);
  let read = 0;
  const from = { slot: running, version: VERSION };
  const release = await withMount(device, `slot-${slot}`, async (dir) => {
    // GRUB must not pick the slot about to be emptied (a rollback may have made it the default).
    await updateBootEnv((env) => ({ ...env, default_slot: running, next_slot: "", tried_slot: "" }));
    // From here on the slot holds no release: a slot without release.json is never offered to boot.
    for (const f of [MANIFEST, ...IMAGE_FILES]) rmSync(join(dir, f), { force: true });
    await run("sync", []);
    const r = await receiveImage(src.stream, dir, {
      publicKey: o.publicKey,
      accept: (r) => {
        if (r.version === VERSION && !o.force) throw new ImageRejected(`the image is Corral ${r.version}, which is running already (add -f to write it anyway)`);
        writeRecord({ outcome: "writing", slot, version: r.version, from });
      },
      onBytes: (n) => o.onBytes?.((read += n), src.bytes),
    });
    writeSlotRelease(dir, { version: r.version, written: new Date().toISOString(), by: "upgrade" });
    await run("sync", []);
    return r;
  });
  await updateBootEnv((env) => ({ ...env, next_slot: slot }));
  writeRecord({ outcome: "staged", slot, version: release.version, from });
  return { slot, release };
}

/** ros os rollback: the other slot, if it holds a complete release, becomes the default at once. */
export async function rollback(): Promise<{ slot: Slot; version: string }> {
  const running = runningSlot();
  if (!running) throw new ImageRejected("this host runs from RAM: there is no installed slot to roll back to");
  const slot = otherSlot(running);
  const device = await byLabel(LABELS.slot(slot));
  const release = device ? await withMount(device, `slot-${slot}-ro`, readSlotRelease, { readOnly: true }) : undefined;
  if (!release) throw new ImageRejected(`slot ${slot} holds no complete release (an upgrade to it was cut short, or it was never written): nothing to roll back to`);
  await updateBootEnv((env) => ({ ...env, default_slot: slot, next_slot: "", tried_slot: "" }));
  writeRecord({ outcome: "rolled back", slot, version: release.version, from: { slot: running, version: VERSION } });
  return { slot, version: release.version };
}
