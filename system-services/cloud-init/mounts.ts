// `mounts`: cloud-init's [device, mountpoint, fstype, options, dump, pass] entries, mounted in the
// host's mount namespace (this container shares the host's PIDs, so PID 1's namespace is the host's).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { run } from "../../os/exec.ts";
import { paths, ROS_ROOT } from "../../os/paths.ts";

type Fields = NonNullable<CloudConfig["mounts"]>[number];

/** cloud-init's defaults, without its systemd options; nofail is moot: a failed mount never stops the boot. */
export const MOUNT_DEFAULTS: Fields = [null, null, "auto", "defaults", "0", "2"];

export interface MountEntry { device: string; mountpoint: string; fstype: string; options: string }

/** Pseudo filesystems take any word as their source: `[tmpfs, /mnt/t, tmpfs]`, `[none, /x, tmpfs]`. */
function deviceName(device: string, fstype: string): string {
  if (device === "swap" || fstype === "swap") throw new Error("swap entries are not applied: Corral does not manage swap");
  if (device.startsWith("/") || device.includes("=") || device.includes(":") || device === "none" || device === fstype) return device;
  if (/^ephemeral\d*$/.test(device)) throw new Error(`"${device}" names a cloud's ephemeral disk, which Corral does not map: name the device, like /dev/sdb`);
  // cloud-init reads a bare name as a device: "sdb" is /dev/sdb.
  return `/dev/${device}`;
}

/**
 * One entry with the defaults filled in (a missing or null field takes its default), or undefined
 * for an entry with no mount point (cloud-init's way of removing one).
 */
export function mountEntry(fields: Fields, defaults: Fields = MOUNT_DEFAULTS): MountEntry | undefined {
  const f = Array.from({ length: 6 }, (_, i) => fields[i] ?? defaults[i] ?? MOUNT_DEFAULTS[i]);
  const [device, mountpoint, fstype, options] = f.map((v) => (v === null || v === undefined ? undefined : String(v)));
  if (mountpoint === undefined) return undefined;
  if (!device) throw new Error("no device: the first field names what to mount, like /dev/sdb or LABEL=data");
  // Swap's mount point is "none": the device decides first.
  const dev = deviceName(device, fstype!);
  if (!mountpoint.startsWith("/")) throw new Error(`mount point "${mountpoint}" must be an absolute path, like /mnt/data`);
  return { device: dev, mountpoint: mountpoint.replace(/(.)\/+$/, "$1"), fstype: fstype!, options: options! };
}

/** The mount points of the host's namespace (/proc/mounts escapes spaces and such as \ooo). */
function hostMountPoints(): Set<string> {
  const text = existsSync(paths.hostMounts) ? readFileSync(paths.hostMounts, "utf8") : "";
  return new Set(text.split("\n").map((l) => (l.split(" ")[1] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))));
}

/** Mounts one entry; resolves to a note when there was nothing to do. */
export async function mountOnHost(e: MountEntry): Promise<string | undefined> {
  const rooted = (p: string) => join(ROS_ROOT, p);
  if (e.device.startsWith("/") && !existsSync(rooted(e.device))) throw new Error(`device ${e.device} does not exist: check the disk is attached, or name it by LABEL= or UUID=`);
  const target = rooted(e.mountpoint);
  if (hostMountPoints().has(target)) return "already mounted";
  const source = e.device.startsWith("/") ? rooted(e.device) : e.device;
  // mount -N switches namespaces only for the mount itself, so the host needs no mount binary;
  // --mkdir makes the mount point there.
  const type = e.fstype === "auto" ? [] : ["-t", e.fstype];
  try {
    await run("mount", ["-N", paths.hostMountNs, "--mkdir", ...type, "-o", e.options, source, target]);
  } catch (err) {
    const msg = (err as Error).message;
    throw new Error(`mount failed: ${msg.slice(msg.indexOf("): ") + 3)}`);
  }
  return undefined;
}
