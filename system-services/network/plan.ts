// rancher.network rendered as the links the host should have: which exist, which this service
// creates (bonds, bridges, VLANs), and each one's master, MTU, addresses, gateways, DHCP and hooks.
// Pure: the diff turns it into commands against the kernel's state.
import type { InterfaceConfig, NetworkConfig } from "../../cloud-config/schema/index.ts";
import { MANAGED, type Link } from "./links.ts";
import { assign, isGlob, patternOf, type LinkId } from "./match.ts";

export type Create = { kind: "bond"; opts: Record<string, string> } | { kind: "bridge" } | { kind: "vlan"; parent: string; id: number };

export interface Desired {
  name: string;
  /** The interfaces key that configures it ("" when only another entry names it, like a bond its slaves join). */
  key: string;
  create?: Create;
  master?: string;
  mtu?: number;
  /** Canonical address/prefix list; undefined leaves the link's addresses alone (the implicit loopback). */
  addresses?: string[];
  gateway?: string;
  gateway6?: string;
  /** dhcpcd's options (without the interface); undefined: no DHCP. */
  dhcp?: string[];
  preUp: string[];
  postUp: string[];
}

export interface Plan {
  /** In the order they are configured: NICs, bonds, bridges, then VLANs after their parents. */
  ifaces: Desired[];
  /** Kernel modules the plan needs (loaded only when the kernel lacks them). */
  modules: string[];
  /** What cannot be applied, each naming the key and what to do. */
  problems: string[];
}

/** Without dhcp_args: IPv4 only, and no ARP probe of the offered address (it costs seconds at every boot). */
export const DEFAULT_DHCP_ARGS = ["--ipv4only", "--noarp"];

/** The form `ip` prints: IPv6 compressed and lower case, so config and kernel compare equal. */
export function canonicalCidr(cidr: string): string {
  const [addr, len] = cidr.split("/") as [string, string];
  const canon = addr.includes(":") ? new URL(`http://[${addr}]/`).hostname.slice(1, -1) : addr;
  return `${canon}/${Number(len)}`;
}

/** "100,200:mgmt" on parent eth0 → eth0.100 and mgmt. */
export function parseVlans(spec: string | number, parent: string): { name: string; id: number }[] {
  return String(spec)
    .split(",")
    .map((part) => {
      const [id, name] = part.trim().split(":") as [string, string | undefined];
      return { id: Number(id), name: name || `${parent}.${Number(id)}` };
    });
}

export function dhcpArgs(c: InterfaceConfig): string[] {
  const args = c.dhcp_args?.trim() ? c.dhcp_args.trim().split(/\s+/) : [...DEFAULT_DHCP_ARGS];
  // dhcpcd does IPv4 link-local by default; RancherOS users ask for it with ipv4ll.
  return c.ipv4ll ? args : [...args, "--noipv4ll"];
}

const MODULE: Record<Create["kind"], string> = { bond: "bonding", bridge: "bridge", vlan: "8021q" };

export function plan(net: NetworkConfig | undefined, links: Link[]): Plan {
  const interfaces = net?.interfaces ?? {};
  const problems: string[] = [];
  const creates = new Map<string, Create>();
  const want = (name: string, c: Create, why: string) => {
    const had = creates.get(name);
    if (had && had.kind !== c.kind) problems.push(`${name}: ${why} makes it a ${c.kind}, but another entry makes it a ${had.kind}; keep one`);
    else if (!had || (c.kind === "bond" && Object.keys(c.opts).length)) creates.set(name, c);
  };

  // The links the config creates, from the entries named exactly and the masters others name.
  for (const [key, c] of Object.entries(interfaces)) {
    const name = patternOf(key, c);
    const exact = !name.startsWith("mac=") && !isGlob(name);
    if (exact && c.bridge === true) want(name, { kind: "bridge" }, "bridge: true");
    if (exact && c.bond_opts) want(name, { kind: "bond", opts: Object.fromEntries(Object.entries(c.bond_opts).map(([k, v]) => [k, String(v)])) }, "bond_opts");
    if (c.vlan !== undefined) {
      const dot = name.lastIndexOf(".");
      if (!exact || dot <= 0) problems.push(`${key}: vlan needs the interface named <parent>.<id>, like eth0.${c.vlan}; rename the key`);
      else want(name, { kind: "vlan", parent: name.slice(0, dot), id: Number(c.vlan) }, "vlan");
    }
    if (c.bond) want(c.bond, { kind: "bond", opts: {} }, `bond: ${c.bond} on ${key}`);
    if (typeof c.bridge === "string") want(c.bridge, { kind: "bridge" }, `bridge: ${c.bridge} on ${key}`);
  }

  const byName = new Map(links.map((l) => [l.name, l]));
  const matchable = (l: LinkId) => l.name !== "lo" && !creates.has(l.name) && byName.get(l.name)?.alias !== MANAGED;
  const ids = (names: string[]): LinkId[] => names.map((n) => ({ name: n, mac: byName.get(n)?.mac ?? "" }));
  let matches = assign(interfaces, ids([...new Set([...links.map((l) => l.name), ...creates.keys()])]), matchable);

  // vlans: on a parent adds that parent's VLANs, which exact entries may configure further.
  for (const [name, m] of matches) {
    if (m.config.vlans === undefined) continue;
    for (const v of parseVlans(m.config.vlans, name)) want(v.name, { kind: "vlan", parent: name, id: v.id }, `vlans on ${m.key}`);
  }
  matches = assign(interfaces, ids([...new Set([...links.map((l) => l.name), ...creates.keys()])]), matchable);

  const desired: Desired[] = [];
  for (const [key, c] of Object.entries(interfaces)) {
    const name = patternOf(key, c);
    if (c.vlan === undefined && !name.startsWith("mac=") && !isGlob(name) && !byName.has(name) && !creates.has(name)) {
      problems.push(`${key}: no interface ${name} on this host; check the name with "ip link", or match it by glob or mac=`);
    }
  }
  const names = [...new Set([...[...matches.keys()].filter((n) => byName.has(n)).sort(), ...creates.keys()])];
  for (const name of names) {
    const create = creates.get(name);
    const link = byName.get(name);
    const m = matches.get(name);
    if (create && link && link.kind !== create.kind && link.alias !== MANAGED) {
      problems.push(`${name}: exists as ${link.kind ?? "a network card"}, not a ${create.kind} this service can create; pick another name for the ${create.kind}`);
      continue;
    }
    const c: InterfaceConfig = m?.config ?? {};
    if (c.bond && typeof c.bridge === "string") problems.push(`${m!.key}: both bond and bridge name a master; ${name} joins bond ${c.bond} only`);
    desired.push({
      name,
      key: m?.key ?? "",
      create,
      master: c.bond ?? (typeof c.bridge === "string" ? c.bridge : undefined),
      mtu: c.mtu,
      addresses: [...(c.address ? [c.address] : []), ...(c.addresses ?? [])].map(canonicalCidr),
      gateway: c.gateway,
      gateway6: c.gateway_ipv6 ? canonicalCidr(`${c.gateway_ipv6}/128`).split("/")[0] : undefined,
      dhcp: c.dhcp ? dhcpArgs(c) : undefined,
      preUp: c.pre_up ?? [],
      postUp: c.post_up ?? [],
    });
  }
  // The loopback is always up; its addresses are the kernel's unless the config names lo.
  if (!desired.some((d) => d.name === "lo") && byName.has("lo")) desired.unshift({ name: "lo", key: "", preUp: [], postUp: [] });

  const rank = (d: Desired): number => {
    if (!d.create) return 0;
    if (d.create.kind !== "vlan") return d.create.kind === "bond" ? 1 : 2;
    const parent = desired.find((p) => p.name === (d.create as { parent: string }).parent);
    return 3 + (parent ? rank(parent) : 0);
  };
  const ifaces = desired.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map((x) => x.d);
  const modules = [...new Set([...(net?.modules ?? []), ...ifaces.flatMap((d) => (d.create ? [MODULE[d.create.kind]] : []))])];
  return { ifaces, modules, problems };
}
