// The kernel's current network state, read with iproute2's JSON output: what the diff compares the
// config against, so a re-run changes only what differs.
import { run } from "../../os/exec.ts";

export interface Addr {
  /** Canonical address/prefix, as `ip` prints it. */
  cidr: string;
  family: 4 | 6;
  /** Has a lifetime: put there by a DHCP client or IPv6 autoconfiguration, not by hand. */
  dynamic: boolean;
  scope: string;
  /** IPv6 duplicate address detection is not done yet: not usable. */
  tentative: boolean;
}

export interface Link {
  name: string;
  ifindex: number;
  mac: string;
  mtu: number;
  up: boolean;
  carrier: boolean;
  /** bond, bridge, vlan, veth…; undefined for a plain NIC. */
  kind?: string;
  master?: string;
  /** A VLAN's parent link. */
  parent?: string;
  vlanId?: number;
  /** The link's alias (ifalias): MANAGED marks the links this service created. */
  alias?: string;
  /** A bond's options, as the kernel reports them. */
  bondOpts?: Record<string, string>;
  addrs: Addr[];
}

export interface Route {
  family: 4 | 6;
  gateway: string;
  dev: string;
  protocol: string;
}

export interface KernelState {
  links: Link[];
  /** Default routes only: the ones `gateway` and `gateway_ipv6` are about. */
  routes: Route[];
}

/** The alias set on every link this service creates, so one it no longer wants can be told from a link someone else made. */
export const MANAGED = "corral-network";

interface IpAddrInfo { family: string; local: string; prefixlen: number; scope: string; dynamic?: boolean; tentative?: boolean }
interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  master?: string;
  link?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: IpAddrInfo[];
}
interface IpRoute { dst: string; gateway?: string; dev?: string; protocol?: string }

export function parseLinks(json: string): Link[] {
  return (JSON.parse(json) as IpLink[]).map((l) => {
    const kind = l.linkinfo?.info_kind;
    const data = l.linkinfo?.info_data ?? {};
    return {
      name: l.ifname,
      ifindex: l.ifindex,
      mac: (l.address ?? "").toLowerCase(),
      mtu: l.mtu,
      up: l.flags.includes("UP"),
      carrier: l.flags.includes("LOWER_UP"),
      kind,
      master: l.master,
      parent: kind === "vlan" ? l.link : undefined,
      vlanId: kind === "vlan" ? Number(data.id) : undefined,
      alias: l.ifalias,
      bondOpts: kind === "bond" ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)])) : undefined,
      addrs: (l.addr_info ?? [])
        .filter((a) => a.family === "inet" || a.family === "inet6")
        .map((a) => ({ cidr: `${a.local}/${a.prefixlen}`, family: a.family === "inet" ? 4 : 6, dynamic: a.dynamic === true, scope: a.scope, tentative: a.tentative === true })),
    };
  });
}

export function parseRoutes(json: string, family: 4 | 6): Route[] {
  return (JSON.parse(json) as IpRoute[]).filter((r) => r.dst === "default" && r.gateway && r.dev).map((r) => ({ family, gateway: r.gateway!, dev: r.dev!, protocol: r.protocol ?? "boot" }));
}

export async function readState(): Promise<KernelState> {
  const [links, r4, r6] = await Promise.all([run("ip", ["-j", "-d", "addr", "show"]), run("ip", ["-j", "-4", "route", "show", "default"]), run("ip", ["-j", "-6", "route", "show", "default"])]);
  return { links: parseLinks(links.stdout), routes: [...parseRoutes(r4.stdout, 4), ...parseRoutes(r6.stdout, 6)] };
}
