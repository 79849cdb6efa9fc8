// rancher.network: interfaces keyed by name, glob (eth*) or "mac=…", as RancherOS wrote them.
import { z } from "zod";
import { MAC, bool, cidr, int, ip, list, msg, scalarMap, str, strList } from "./primitives.ts";

/** "100", 100, or "100,200:name" (VLAN ids 1-4094, each optionally named). */
function validVlans(v: string | number): boolean {
  return String(v)
    .split(",")
    .every((part) => {
      const m = /^\s*(\d+)(:[A-Za-z0-9_.-]+)?\s*$/.exec(part);
      return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 4094;
    });
}

export const iface = z.strictObject({
  match: str().optional(),
  dhcp: bool().optional(),
  dhcp_args: str().optional(),
  ipv4ll: bool().optional(),
  address: cidr().optional(),
  addresses: list(cidr(), "a list of addresses with prefix lengths").optional(),
  gateway: ip().optional(),
  gateway_ipv6: ip().optional(),
  mtu: int(68, 65535, "an MTU from 68 to 65535").optional(),
  bridge: z.union([z.string(), z.boolean()], { error: msg("must be a bridge name, or true to make this interface a bridge") }).optional(),
  bond: str("a bond interface name").optional(),
  bond_opts: scalarMap("a map of bonding options, like mode: active-backup").optional(),
  /** Corral: this interface (named like bond0.100) is VLAN <id> on the interface its name starts with. */
  vlan: z.union([z.string(), z.number()]).refine((v) => /^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 4094, msg("must be a VLAN id from 1 to 4094")).optional(),
  vlans: z.union([z.string(), z.number()]).refine(validVlans, msg('must be VLAN ids from 1 to 4094, like "100" or "100,200:name"')).optional(),
  pre_up: strList("a list of commands").optional(),
  post_up: strList("a list of commands").optional(),
});

/** Interface keys: a name, a glob like eth*, or mac=52:54:00:12:34:56. */
const ifaceKey = z.string().refine((k) => {
  if (k.startsWith("mac=")) return MAC.test(k.slice(4));
  return /^[A-Za-z0-9_.:*?[\]-]{1,64}$/.test(k);
}, msg("must be an interface name, a glob like eth*, or mac=xx:xx:xx:xx:xx:xx"));

export const network = z.strictObject({
  interfaces: z.record(ifaceKey, iface, { error: msg("must be a map of interface names to settings") }).optional(),
  dns: z.strictObject({
    nameservers: list(ip(), "a list of IP addresses").optional(),
    search: strList("a list of domains").optional(),
    override: bool().optional(),
  }).optional(),
  http_proxy: str().optional(),
  https_proxy: str().optional(),
  no_proxy: str().optional(),
  pre_cmds: strList("a list of commands").optional(),
  post_cmds: strList("a list of commands").optional(),
  modules: strList("a list of kernel modules").optional(),
  wait_timeout: int(0, 3600, "a number of seconds").optional(),
});

