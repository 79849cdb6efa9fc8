// Google Compute Engine metadata server: GETs under /computeMetadata/v1/ with the header
// "Metadata-Flavor: Google", and an answer counts only if it carries that header back. User data is
// the instance attribute user-data (base64 when user-data-encoding says so); SSH keys come from the
// ssh-keys attributes, lines of "user:key", the project's unless block-project-ssh-keys is true.
import { endpoint, httpRequest, whenAnswering } from "./http.ts";
import { metadata } from "./metadata.ts";
import type { Datasource, Found } from "./types.ts";

export const GCE_DEFAULT_BASE = "http://metadata.google.internal";
const FLAVOR = "Google";

export function gceSource(base = GCE_DEFAULT_BASE): Datasource {
  return {
    name: base === GCE_DEFAULT_BASE ? "gce" : `gce:${base}`,
    async fetch(signal) {
      const get = async (path: string): Promise<Buffer | undefined> => {
        const url = endpoint(base, `computeMetadata/v1/${path}`);
        const res = await httpRequest(url, { signal, headers: { "Metadata-Flavor": FLAVOR } });
        if (res.headers.get("metadata-flavor") !== FLAVOR) throw new Error(`GET ${url}: the answer lacks "Metadata-Flavor: ${FLAVOR}" (not a GCE metadata server)`);
        if (res.status === 404) return undefined;
        if (res.status < 200 || res.status > 299) throw new Error(`GET ${url}: HTTP ${res.status}`);
        return res.body;
      };
      const value = async (path: string) => (await get(path))?.toString("utf8").trim();
      const instanceId = await whenAnswering(() => value("instance/id"), signal);
      if (!instanceId) return undefined;
      const [userData, encoding, hostname, zonePath, privateIpv4, publicIpv4, instanceKeys, projectKeys, blockProject] = await Promise.all([
        get("instance/attributes/user-data"),
        value("instance/attributes/user-data-encoding"),
        value("instance/hostname"),
        value("instance/zone"),
        value("instance/network-interfaces/0/ip"),
        value("instance/network-interfaces/0/access-configs/0/external-ip"),
        value("instance/attributes/ssh-keys"),
        value("project/attributes/ssh-keys"),
        value("instance/attributes/block-project-ssh-keys"),
      ]);
      const zone = zonePath?.split("/").pop(); // projects/<number>/zones/<zone>
      const keys = sshKeys(instanceKeys).concat(blockProject?.toLowerCase() === "true" ? [] : sshKeys(projectKeys));
      const found: Found = {
        source: `gce:${endpoint(base, "computeMetadata/v1/instance/attributes/user-data")}`,
        metadata: metadata({ instanceId, hostname, zone, region: zone?.replace(/-[a-z]$/, ""), privateIpv4, publicIpv4, publicKeys: keys }),
      };
      if (userData) found.userData = encoding?.toLowerCase() === "base64" ? Buffer.from(userData.toString("utf8"), "base64") : userData;
      return found;
    },
  };
}

/** "user:ssh-ed25519 AAAA... comment" lines to keys. */
export function sshKeys(attr: string | undefined): string[] {
  return (attr ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.replace(/^[^\s:]+:/, "").trim())
    .filter((k) => k !== "");
}
