// NoCloud: files user-data, meta-data (YAML: instance-id, local-hostname, public-keys), and
// optionally vendor-data and network-config, at the root of a disk labelled cidata, in a directory,
// or under a seed URL named on the kernel command line (ds=nocloud;s=http://host/path/).
import { join } from "node:path";
import { parse } from "yaml";
import { log } from "../../os/log.ts";
import { hostPath, isDirectory, readIfPresent } from "./host-files.ts";
import { endpoint, getIfPresent, whenAnswering } from "./http.ts";
import { mergeMetadata, metadata } from "./metadata.ts";
import type { Datasource, Found, Metadata } from "./types.ts";

export const NOCLOUD_LABELS = ["cidata", "CIDATA"];

/** meta-data is YAML (JSON is YAML too); a broken one costs the metadata, never the user data. */
export function parseNocloudMetaData(text: string, file: string): Metadata {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    log("datasource", `${file}: meta-data is not valid YAML, ignored: ${(e as Error).message.split("\n")[0]}`);
    return {};
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    log("datasource", `${file}: meta-data must be a map of keys, ignored`);
    return {};
  }
  const m = doc as Record<string, unknown>;
  return metadata({
    instanceId: m["instance-id"],
    hostname: m["local-hostname"] ?? m["hostname"],
    publicKeys: m["public-keys"],
    privateIpv4: m["local-ipv4"],
    publicIpv4: m["public-ipv4"],
  });
}

function assemble(where: string, parts: { userData?: Buffer; metaData?: Buffer; vendorData?: Buffer; networkConfig?: Buffer }, overrides: Metadata): Found | undefined {
  if (!parts.userData && !parts.metaData) return undefined;
  const found: Found = {
    source: `nocloud:${where}user-data`,
    metadata: mergeMetadata(parts.metaData ? parseNocloudMetaData(parts.metaData.toString("utf8"), `${where}meta-data`) : {}, overrides),
  };
  if (parts.userData) found.userData = parts.userData;
  if (parts.vendorData) found.vendorData = parts.vendorData;
  if (parts.networkConfig) found.networkConfig = parts.networkConfig;
  return found;
}

/**
 * Reads a NoCloud tree at `dir` (a real path). `shownAs` is how errors name it: "/dev/vdb:" gives
 * "nocloud:/dev/vdb:/user-data". Undefined when the tree holds neither user-data nor meta-data.
 */
export function readNocloudTree(dir: string, shownAs = dir, overrides: Metadata = {}): Found | undefined {
  if (!isDirectory(dir)) return undefined;
  const read = (f: string) => readIfPresent(join(dir, f));
  const where = `${shownAs.replace(/\/+$/, "")}/`;
  return assemble(where, { userData: read("user-data"), metaData: read("meta-data"), vendorData: read("vendor-data"), networkConfig: read("network-config") }, overrides);
}

/** `nocloud:/dir` or a `ds=nocloud;s=/dir/` seed: a tree on the host (under ROS_ROOT). */
export function nocloudDirectory(dir: string, overrides: Metadata = {}, name = `nocloud:${dir}`): Datasource {
  return { name, fetch: async () => readNocloudTree(hostPath(dir), dir, overrides) };
}

/** `nocloud:http://host/path/` or a `ds=nocloud;s=http://host/path/` seed: GETs <seed>user-data, meta-data, vendor-data. */
export function nocloudSeedUrl(seed: string, overrides: Metadata = {}, name = `nocloud:${seed}`): Datasource {
  const base = seed.endsWith("/") ? seed : `${seed}/`;
  return {
    name,
    async fetch(signal) {
      const get = async (file: string) => (await getIfPresent(endpoint(base, file), { signal }))?.body;
      const metaData = await whenAnswering(() => get("meta-data"), signal);
      const [userData, vendorData] = await Promise.all([get("user-data"), get("vendor-data")]);
      return assemble(base, { userData, metaData, vendorData }, overrides);
    },
  };
}
