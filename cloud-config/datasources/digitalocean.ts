// DigitalOcean droplet metadata: one document, /metadata/v1.json, with droplet_id, hostname,
// public_keys, region, interfaces.{public,private}[0].{ipv4,ipv6}.ip_address, user_data, vendor_data.
import { endpoint, getIfPresent, parseJson, whenAnswering } from "./http.ts";
import { metadata, text } from "./metadata.ts";
import type { Datasource, Found } from "./types.ts";

export const DIGITALOCEAN_DEFAULT_BASE = "http://169.254.169.254";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const first = (v: unknown): Obj => obj(Array.isArray(v) ? v[0] : undefined);

export function digitalOceanSource(base = DIGITALOCEAN_DEFAULT_BASE): Datasource {
  return {
    name: base === DIGITALOCEAN_DEFAULT_BASE ? "digitalocean" : `digitalocean:${base}`,
    async fetch(signal) {
      const url = endpoint(base, "metadata/v1.json");
      const res = await whenAnswering(() => getIfPresent(url, { signal }), signal);
      if (!res) return undefined;
      const doc = obj(parseJson(res.body, url));
      const ifaces = obj(doc.interfaces);
      const pub = first(ifaces.public);
      const priv = first(ifaces.private);
      const found: Found = {
        source: `digitalocean:${url}:user_data`,
        metadata: metadata({
          instanceId: doc.droplet_id,
          hostname: doc.hostname,
          publicKeys: doc.public_keys,
          region: doc.region,
          publicIpv4: obj(pub.ipv4).ip_address,
          publicIpv6: obj(pub.ipv6).ip_address,
          privateIpv4: obj(priv.ipv4).ip_address,
          privateIpv6: obj(priv.ipv6).ip_address,
        }),
      };
      // user_data is kept as given (not trimmed: it is the user's document).
      if (typeof doc.user_data === "string" && text(doc.user_data)) found.userData = Buffer.from(doc.user_data, "utf8");
      if (typeof doc.vendor_data === "string" && text(doc.vendor_data)) found.vendorData = Buffer.from(doc.vendor_data, "utf8");
      return found;
    },
  };
}
