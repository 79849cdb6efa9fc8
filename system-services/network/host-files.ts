// The host files the network config renders: /etc/resolv.conf (rancher.network.dns plus what DHCP
// servers gave) and the proxy lines of /etc/environment (rancher.network.http_proxy…).
import { writeFileSync } from "node:fs";
import type { NetworkConfig } from "../../cloud-config/schema/index.ts";
import { atomicWrite } from "../../os/atomic-write.ts";

export interface DhcpDns { nameservers: string[]; search: string[] }

/** The file dhcpcd's hook writes per interface: `nameservers=a b` and `search=x y`. */
export function parseDhcpDns(text: string): DhcpDns {
  const field = (k: string) => (new RegExp(`^${k}=(.*)$`, "m").exec(text)?.[1] ?? "").split(/\s+/).filter(Boolean);
  return { nameservers: field("nameservers"), search: field("search") };
}

/**
 * resolv.conf: the configured servers and domains first, then the DHCP ones unless dns.override.
 * Undefined when there is nothing to say, so the file the host booted with stays.
 */
export function renderResolvConf(dns: NetworkConfig["dns"], dhcp: DhcpDns[]): string | undefined {
  const fromDhcp = dns?.override ? [] : dhcp;
  const servers = [...new Set([...(dns?.nameservers ?? []), ...fromDhcp.flatMap((d) => d.nameservers)])];
  const search = [...new Set([...(dns?.search ?? []), ...fromDhcp.flatMap((d) => d.search)])];
  if (servers.length + search.length === 0) return undefined;
  const lines = ["# Written by the Corral network service from rancher.network.dns and DHCP; edits are replaced."];
  if (search.length) lines.push(`search ${search.join(" ")}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  return `${lines.join("\n")}\n`;
}

const PROXY_KEYS = ["http_proxy", "https_proxy", "no_proxy"] as const;
const PROXY_LINE = new RegExp(`^(${PROXY_KEYS.map((k) => `${k}|${k.toUpperCase()}`).join("|")})=`);

/** /etc/environment with its proxy lines replaced by the config's (both spellings, as tools read either); other lines kept. */
export function renderEnvironment(existing: string, net: NetworkConfig | undefined): string {
  const kept = existing.split("\n").filter((l) => l !== "" && !PROXY_LINE.test(l));
  const proxies = PROXY_KEYS.flatMap((k) => (net?.[k] ? [`${k}=${net[k]}`, `${k.toUpperCase()}=${net[k]}`] : []));
  const lines = [...kept, ...proxies];
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/** A file bound into the service's container cannot be renamed over: it is written in place then. */
export function writeHostFile(file: string, content: string): void {
  try {
    atomicWrite(file, content);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EBUSY") throw e;
    writeFileSync(file, content);
  }
}
