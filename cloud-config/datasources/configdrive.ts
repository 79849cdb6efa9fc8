// OpenStack config drive: openstack/latest/user_data and meta_data.json (uuid, hostname,
// public_keys, availability_zone), on a disk labelled config-2 or in a directory (configdrive:/dir).
import { join } from "node:path";
import { log } from "../../os/log.ts";
import { hostPath, isDirectory, readIfPresent } from "./host-files.ts";
import { metadata } from "./metadata.ts";
import type { Datasource, Found, Metadata } from "./types.ts";

export const CONFIG_DRIVE_LABELS = ["config-2", "CONFIG-2"];
export const CONFIG_DRIVE_USER_DATA = "openstack/latest/user_data";
export const CONFIG_DRIVE_META_DATA = "openstack/latest/meta_data.json";

/** OpenStack's meta_data.json, as served on a config drive and by the metadata service alike. */
export function openstackMetadata(doc: unknown): Metadata {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return {};
  const m = doc as Record<string, unknown>;
  return metadata({ instanceId: m.uuid, hostname: m.hostname ?? m.name, publicKeys: m.public_keys, zone: m.availability_zone });
}

/**
 * Reads a config drive tree at `dir` (a real path); `shownAs` is how errors name it ("/dev/sr0:"
 * gives "configdrive:/dev/sr0:/openstack/latest/user_data"). Undefined when it is not one.
 */
export function readConfigDriveTree(dir: string, shownAs = dir): Found | undefined {
  if (!isDirectory(dir)) return undefined;
  const where = `${shownAs.replace(/\/+$/, "")}/`;
  const userData = readIfPresent(join(dir, CONFIG_DRIVE_USER_DATA));
  const metaData = readIfPresent(join(dir, CONFIG_DRIVE_META_DATA));
  if (!userData && !metaData) return undefined;
  let meta: Metadata = {};
  if (metaData) {
    try {
      meta = openstackMetadata(JSON.parse(metaData.toString("utf8")));
    } catch (e) {
      log("datasource", `${where}${CONFIG_DRIVE_META_DATA}: not valid JSON, ignored: ${(e as Error).message}`);
    }
  }
  const found: Found = { source: `configdrive:${where}${CONFIG_DRIVE_USER_DATA}`, metadata: meta };
  if (userData) found.userData = userData;
  return found;
}

/** `configdrive:/dir`: a config drive already mounted or unpacked on the host (under ROS_ROOT). */
export function configDriveDirectory(dir: string): Datasource {
  return { name: `configdrive:${dir}`, fetch: async () => readConfigDriveTree(hostPath(dir), dir) };
}
