// Amazon EC2 instance metadata service (IMDS). IMDSv2 first: PUT /latest/api/token with
// X-aws-ec2-metadata-token-ttl-seconds, then every GET carries X-aws-ec2-metadata-token. When the
// PUT gets an error status or no timely answer, IMDSv1 (plain GETs). A 404 for /latest/user-data
// means the instance has no user data: the source is still present, with its metadata.
import { endpoint, getIfPresent, httpRequest, NoAnswer, whenAnswering } from "./http.ts";
import { TOKEN_TIMEOUT_MS } from "./limits.ts";
import { metadata } from "./metadata.ts";
import type { Datasource, Found } from "./types.ts";

export const EC2_DEFAULT_BASE = "http://169.254.169.254";
const TOKEN_TTL_SECONDS = "21600";

async function token(base: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const res = await httpRequest(endpoint(base, "latest/api/token"), { signal, method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS }, timeoutMs: TOKEN_TIMEOUT_MS });
    const t = res.body.toString("utf8").trim();
    return res.status === 200 && t !== "" ? t : undefined;
  } catch (e) {
    if (signal.aborted || e instanceof NoAnswer) throw e;
    return undefined; // no timely answer (e.g. a hop limit drops it): IMDSv1
  }
}

export function ec2Source(base = EC2_DEFAULT_BASE): Datasource {
  return {
    name: base === EC2_DEFAULT_BASE ? "ec2" : `ec2:${base}`,
    async fetch(signal) {
      const tok = await whenAnswering(() => token(base, signal), signal);
      const headers: Record<string, string> = tok ? { "X-aws-ec2-metadata-token": tok } : {};
      const get = async (path: string) => (await getIfPresent(endpoint(base, `latest/${path}`), { signal, headers }))?.body;
      const value = async (path: string) => (await get(`meta-data/${path}`))?.toString("utf8").trim();
      const instanceId = await value("instance-id");
      if (!instanceId) return undefined;
      const [userData, hostname, privateIpv4, publicIpv4, privateIpv6, zone, region, publicKeys] = await Promise.all([
        get("user-data"),
        value("local-hostname"),
        value("local-ipv4"),
        value("public-ipv4"),
        value("ipv6"),
        value("placement/availability-zone"),
        value("placement/region"),
        keys(value),
      ]);
      const found: Found = {
        source: `ec2:${endpoint(base, "latest/user-data")}`,
        metadata: metadata({ instanceId, hostname, privateIpv4, publicIpv4, privateIpv6, zone, region, publicKeys }),
      };
      if (userData) found.userData = userData;
      return found;
    },
  };
}

/** public-keys/ lists "0=name" lines; each key is at public-keys/<index>/openssh-key. */
async function keys(value: (path: string) => Promise<string | undefined>): Promise<string[]> {
  const list = (await value("public-keys/")) ?? "";
  const indexes = list.split("\n").map((l) => l.split("=")[0]!.trim()).filter((i) => /^\d+$/.test(i));
  return (await Promise.all(indexes.map((i) => value(`public-keys/${i}/openssh-key`)))).filter((k): k is string => !!k);
}
