// What ros install checks about the disk before it writes a byte: that it is a whole disk, big
// enough, and neither mounted nor the medium the host booted from.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { paths } from "../paths.ts";
import { MIN_DISK_BYTES, MiB } from "./layout.ts";

export class InstallRefused extends Error {}

const gib = (bytes: number) => `${(bytes / 1024 / MiB).toFixed(1)} GiB`;

/** The disk's size in bytes (sysfs counts 512-byte sectors whatever the disk's own sector size). */
export function diskBytes(name: string): number {
  return Number(readFileSync(join(paths.sysBlock, name, "size"), "utf8").trim()) * 512;
}

/** Whether a block device (by its name, like vda3) is a partition rather than a whole disk. */
export const isPartition = (name: string) => existsSync(join(paths.sysBlock, name, "partition"));

/** The disk and its partitions as /dev names. */
function devicesOf(name: string): string[] {
  const dir = join(paths.sysBlock, name);
  return [`/dev/${name}`, ...readdirSync(dir).filter((e) => e.startsWith(name)).map((e) => `/dev/${e}`)];
}

/** Mount sources seen by this process and by the host's init (a console shares the host's PIDs). */
function mountedSources(): Set<string> {
  const out = new Set<string>();
  for (const f of [paths.selfMounts, paths.hostMounts]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, "utf8").split("\n")) out.add(line.split(" ")[0]!);
  }
  return out;
}

export function checkTargetDisk(device: string, bootMedium?: string): { name: string; bytes: number } {
  const name = basename(device);
  if (!device.startsWith("/dev/") || !existsSync(join(paths.sysBlock, name))) throw new InstallRefused(`${device} is not a disk (see lsblk for the disks this host has)`);
  if (isPartition(name)) throw new InstallRefused(`${device} is a partition: name the whole disk (like /dev/sda), ros install partitions it`);
  const bytes = diskBytes(name);
  if (bytes < MIN_DISK_BYTES) throw new InstallRefused(`${device} is too small: ${gib(bytes)}, and Corral needs at least ${gib(MIN_DISK_BYTES)}`);
  const mounted = mountedSources();
  const busy = devicesOf(name).filter((d) => mounted.has(d));
  if (busy.length) throw new InstallRefused(`${device} is in use: ${busy.join(", ")} mounted (unmount it first, or pick another disk)`);
  if (bootMedium && devicesOf(name).includes(bootMedium)) throw new InstallRefused(`${device} holds the medium this host booted from (${bootMedium}): install to another disk`);
  return { name, bytes };
}
