// The medium the live host booted from (the ISO, on a CD or a USB stick): ros install copies its
// kernel and initrd. Found by the ISO's volume label, mounted read-only while the install runs.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { paths } from "../paths.ts";
import { InstallRefused } from "./target-disk.ts";

export const ISO_LABEL = "CORRAL";

export interface BootMedium { device: string; kernel: string; initrd: string; release(): Promise<void> }

export async function mountBootMedium(): Promise<BootMedium> {
  const device = await run("findfs", [`LABEL=${ISO_LABEL}`]).then((r) => r.stdout.trim(), () => "");
  if (!device) throw new InstallRefused(`no boot medium labelled ${ISO_LABEL} (the Corral ISO) is attached: boot the ISO, or attach it, to install from it`);
  const dir = join(paths.installRun, "medium");
  mkdirSync(dir, { recursive: true });
  await run("mount", ["-o", "ro", device, dir]);
  const medium = { device, kernel: join(dir, "boot/vmlinuz"), initrd: join(dir, "boot/initrd"), release: () => run("umount", [dir]).then(() => undefined) };
  if (!existsSync(medium.kernel) || !existsSync(medium.initrd)) {
    await medium.release();
    throw new InstallRefused(`${device} (labelled ${ISO_LABEL}) has no /boot/vmlinuz and /boot/initrd: it is not a Corral ISO`);
  }
  return medium;
}
