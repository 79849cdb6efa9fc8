// The medium the live host booted from (the ISO, on a CD or a USB stick): ros install copies its
// kernel and initrd. Found by the ISO's volume label.
import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { run } from "../exec.ts";
import { paths } from "../paths.ts";
import { InstallRefused, isPartition } from "./target-disk.ts";

export const ISO_LABEL = "CORRAL";

/** A device's filesystem as blkid's low-level probe sees it (whole disks with a partition table too). */
const probe = (device: string) =>
  run("blkid", ["-p", "-o", "export", device]).then(
    (r) => Object.fromEntries(r.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])) as Record<string, string>,
    () => ({}) as Record<string, string>,
  );

/** The whole disk a partition is on (vda for vda3), or undefined for a whole disk. */
function parentDisk(device: string): string | undefined {
  const name = basename(device);
  if (!isPartition(name)) return undefined;
  return `/dev/${basename(dirname(realpathSync(join(paths.sysBlock, name))))}`;
}

/**
 * On a USB stick (the hybrid ISO written to a disk) the ISO 9660 filesystem spans the whole disk,
 * which blkid's cache skips for its partition table, and a partition inside carries the same label
 * with another filesystem (HFS+): the medium is the ISO 9660 disk.
 */
export async function findBootMedium(): Promise<string> {
  const listed = await run("blkid", ["-o", "device", "-t", `LABEL=${ISO_LABEL}`]).then((r) => r.stdout.split("\n").filter(Boolean), () => [] as string[]);
  const candidates = [...new Set(listed.flatMap((d) => [parentDisk(d), d]).filter((d): d is string => d !== undefined))];
  let device = "";
  for (const d of candidates) {
    const p = await probe(d);
    if (p.TYPE === "iso9660" && p.LABEL === ISO_LABEL) {
      device = d;
      break;
    }
  }
  device ||= listed[0] ?? (await run("findfs", [`LABEL=${ISO_LABEL}`]).then((r) => r.stdout.trim(), () => ""));
  if (!device) throw new InstallRefused(`no boot medium labelled ${ISO_LABEL} (the Corral ISO) is attached: boot the ISO, or attach it, to install from it`);
  return device;
}

/** The kernel and initrd on the mounted medium. */
export function mediumFiles(device: string, dir: string): { kernel: string; initrd: string } {
  const files = { kernel: join(dir, "boot/vmlinuz"), initrd: join(dir, "boot/initrd") };
  if (!existsSync(files.kernel) || !existsSync(files.initrd)) throw new InstallRefused(`${device} (labelled ${ISO_LABEL}) has no /boot/vmlinuz and /boot/initrd: it is not a Corral ISO`);
  return files;
}
