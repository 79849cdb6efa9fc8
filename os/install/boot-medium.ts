// The medium the live host booted from (the ISO, on a CD or a USB stick): ros install copies its
// kernel and initrd. Found by the ISO's volume label.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { InstallRefused } from "./target-disk.ts";

export const ISO_LABEL = "CORRAL";

/**
 * On a USB stick (the hybrid ISO written to a disk) the ISO 9660 filesystem spans the whole device,
 * and a partition inside it carries the same label with another filesystem (HFS+): the ISO 9660 one
 * is the medium.
 */
export async function findBootMedium(): Promise<string> {
  const listed = await run("blkid", ["-o", "device", "-t", `LABEL=${ISO_LABEL}`]).then((r) => r.stdout.split("\n").filter(Boolean), () => [] as string[]);
  const types = await Promise.all(listed.map((d) => run("blkid", ["-s", "TYPE", "-o", "value", d]).then((r) => r.stdout.trim(), () => "")));
  const device = listed[types.indexOf("iso9660")] ?? listed[0] ?? (await run("findfs", [`LABEL=${ISO_LABEL}`]).then((r) => r.stdout.trim(), () => ""));
  if (!device) throw new InstallRefused(`no boot medium labelled ${ISO_LABEL} (the Corral ISO) is attached: boot the ISO, or attach it, to install from it`);
  return device;
}

/** The kernel and initrd on the mounted medium. */
export function mediumFiles(device: string, dir: string): { kernel: string; initrd: string } {
  const files = { kernel: join(dir, "boot/vmlinuz"), initrd: join(dir, "boot/initrd") };
  if (!existsSync(files.kernel) || !existsSync(files.initrd)) throw new InstallRefused(`${device} (labelled ${ISO_LABEL}) has no /boot/vmlinuz and /boot/initrd: it is not a Corral ISO`);
  return files;
}
