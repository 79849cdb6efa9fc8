// The plan against the kernel's state: only the commands that make a difference, in the order they
// run. A re-run with the same config yields no steps; a changed address yields its add and del.
// Order: links this service made and no longer wants go first (VLANs before the rest), then new
// bonds and bridges (so ports can join them), then each interface in plan order: its VLAN link if
// new, pre_up, DHCP stopped if unwanted, master, MTU, up, addresses, gateways, DHCP started, post_up.
// An interface with nothing to change runs no hooks.
import { MANAGED, type KernelState, type Link } from "./links.ts";
import type { Create, Desired, Plan } from "./plan.ts";

interface Base { iface: string; say: string }
export type Step = (Base & { ip: string[][] }) | (Base & { hook: string }) | (Base & { dhcp: "start" | "stop"; args?: string[] });

/** DHCP clients running now: interface → their options. */
export type Running = Record<string, string[]>;

/** The kernel reports some bond options by name where users often write numbers. */
const BOND_ENUMS: Record<string, string[]> = {
  mode: ["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"],
  lacp_rate: ["slow", "fast"],
  xmit_hash_policy: ["layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"],
  ad_select: ["stable", "bandwidth", "count"],
  fail_over_mac: ["none", "active", "follow"],
  primary_reselect: ["always", "better", "failure"],
};
/** Option names `ip` takes where its JSON uses another. */
const BOND_JSON_KEY: Record<string, string> = { lacp_rate: "ad_lacp_rate", lacp_active: "ad_lacp_active" };

const bondValue = (opt: string, v: string) => (/^\d+$/.test(v) && BOND_ENUMS[opt]?.[Number(v)]) || v;

/** The options whose kernel value differs; the ones the kernel does not report are set at creation only. */
export function bondChanges(want: Record<string, string>, have: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(want).filter(([k, v]) => {
      const cur = have[BOND_JSON_KEY[k] ?? k];
      return cur !== undefined && bondValue(k, cur) !== bondValue(k, v);
    }),
  );
}

const flat = (opts: Record<string, string>) => Object.entries(opts).flatMap(([k, v]) => [k, v]);
const describe = (opts: Record<string, string>) => Object.entries(opts).map(([k, v]) => `${k} ${v}`).join(", ");

function createCmds(name: string, c: Create): string[][] {
  const add = c.kind === "vlan" ? ["link", "add", "link", c.parent, "name", name, "type", "vlan", "id", String(c.id)] : ["link", "add", name, "type", c.kind, ...(c.kind === "bond" ? flat(c.opts) : [])];
  return [add, ["link", "set", name, "alias", MANAGED]];
}

function createSay(c: Create): string {
  if (c.kind === "vlan") return `create VLAN ${c.id} on ${c.parent}`;
  if (c.kind === "bond") return `create bond${Object.keys(c.opts).length ? ` (${describe(c.opts)})` : ""}`;
  return "create bridge";
}

/** A link this service must delete and create again: its kind, VLAN parent/id or bond mode changed. */
function mustRecreate(link: Link, c: Create, recreated: Set<string>): boolean {
  if (link.alias !== MANAGED) return false;
  if (link.kind !== c.kind) return true;
  if (c.kind === "vlan") return link.parent !== c.parent || link.vlanId !== c.id || recreated.has(c.parent);
  if (c.kind === "bond" && c.opts.mode !== undefined) return bondValue("mode", c.opts.mode) !== bondValue("mode", link.bondOpts?.mode ?? "");
  return false;
}

/** Addresses to remove: not configured, not link-local, and not a lease or autoconfiguration the config still wants. */
function unwanted(link: Link, d: Desired): string[] {
  return link.addrs
    .filter((a) => a.scope === "global" || a.scope === "site")
    .filter((a) => !d.addresses!.includes(a.cidr))
    .filter((a) => !a.dynamic || (a.family === 4 && !d.dhcp))
    .map((a) => a.cidr);
}

export function diff(plan: Plan, state: KernelState, running: Running): Step[] {
  const steps: Step[] = [];
  const links = new Map(state.links.map((l) => [l.name, l]));
  const wanted = new Map(plan.ifaces.map((d) => [d.name, d]));

  const recreated = new Set<string>();
  for (const d of plan.ifaces) {
    const link = links.get(d.name);
    if (d.create && link && mustRecreate(link, d.create, recreated)) recreated.add(d.name);
  }
  const stale = state.links.filter((l) => l.alias === MANAGED && (!wanted.has(l.name) || recreated.has(l.name)));
  for (const l of stale.sort((a, b) => Number(b.kind === "vlan") - Number(a.kind === "vlan"))) {
    if (running[l.name] && !wanted.has(l.name)) steps.push({ iface: l.name, say: "stop DHCP", dhcp: "stop" });
    steps.push({ iface: l.name, say: recreated.has(l.name) ? `delete ${l.kind ?? "link"} to create it anew` : `delete ${l.kind ?? "link"} (no longer configured)`, ip: [["link", "del", l.name]] });
  }
  for (const iface of Object.keys(running).sort()) {
    if (!wanted.has(iface) && !stale.some((l) => l.name === iface)) steps.push({ iface, say: "stop DHCP (no longer configured)", dhcp: "stop" });
  }

  const gone = new Set(stale.map((l) => l.name));
  /** The link as it stands once the deletions ran: undefined when it is (or will be) new. */
  const current = (name: string) => (recreated.has(name) ? undefined : links.get(name));

  for (const d of plan.ifaces) {
    if (d.create && d.create.kind !== "vlan" && !current(d.name)) steps.push({ iface: d.name, say: createSay(d.create), ip: createCmds(d.name, d.create) });
  }

  for (const d of plan.ifaces) {
    const link = current(d.name);
    const pre: Step[] = [];
    const own: Step[] = [];
    if (d.create?.kind === "vlan" && !link) pre.push({ iface: d.name, say: createSay(d.create), ip: createCmds(d.name, d.create) });
    if (d.create?.kind === "bond" && link?.bondOpts) {
      const changed = bondChanges(d.create.opts, link.bondOpts);
      delete changed.mode;
      if (Object.keys(changed).length) own.push({ iface: d.name, say: `set bond options ${describe(changed)}`, ip: [["link", "set", d.name, "type", "bond", ...flat(changed)]] });
    }
    const dhcpWas = running[d.name];
    if (dhcpWas && !d.dhcp) own.push({ iface: d.name, say: "stop DHCP", dhcp: "stop" });

    const masterNow = link?.master && !gone.has(link.master) ? link.master : undefined;
    let down = false;
    if (d.master !== masterNow) {
      if (d.master) {
        // A bond takes only ports that are down; it brings them up itself.
        const toBond = wanted.get(d.master)?.create?.kind === "bond" || links.get(d.master)?.kind === "bond";
        down = toBond && link?.up === true;
        own.push({ iface: d.name, say: `join ${d.master}`, ip: [...(down ? [["link", "set", d.name, "down"]] : []), ["link", "set", d.name, "master", d.master]] });
      } else own.push({ iface: d.name, say: `leave ${masterNow}`, ip: [["link", "set", d.name, "nomaster"]] });
    }
    if (d.mtu !== undefined && d.mtu !== link?.mtu) own.push({ iface: d.name, say: `set MTU ${d.mtu}`, ip: [["link", "set", d.name, "mtu", String(d.mtu)]] });
    if (!link?.up || down) own.push({ iface: d.name, say: "bring up", ip: [["link", "set", d.name, "up"]] });

    if (d.addresses) {
      const have = link?.addrs.map((a) => a.cidr) ?? [];
      const add = d.addresses.filter((a) => !have.includes(a));
      const del = link ? unwanted(link, d) : [];
      // Old addresses go first: IPv6 refuses an address again with a new prefix, and IPv4 deletes the
      // secondaries of a primary that goes (promote_secondaries is off by default), new ones included.
      for (const c of del) own.push({ iface: d.name, say: `remove address ${c}`, ip: [["addr", "del", c, "dev", d.name]] });
      for (const c of add) own.push({ iface: d.name, say: `add address ${c}`, ip: [["addr", "add", c, "dev", d.name]] });

      for (const [family, gw] of [[4, d.gateway], [6, d.gateway6]] as const) {
        const mine = state.routes.filter((r) => r.family === family && r.dev === d.name);
        for (const r of mine.filter((r) => r.protocol === "static" && r.gateway !== gw)) {
          own.push({ iface: d.name, say: `remove default route via ${r.gateway}`, ip: [[`-${family}`, "route", "del", "default", "via", r.gateway, "dev", d.name, "proto", "static"]] });
        }
        // Removing an address can take the route with it: set it again whenever this family's addresses changed.
        const changed = [...add, ...del].some((c) => c.includes(":") === (family === 6));
        if (gw && (!link || changed || !mine.some((r) => r.gateway === gw))) {
          own.push({ iface: d.name, say: `set default route via ${gw}`, ip: [[`-${family}`, "route", "replace", "default", "via", gw, "dev", d.name, "proto", "static"]] });
        }
      }
    }
    if (d.dhcp && (!dhcpWas || dhcpWas.join(" ") !== d.dhcp.join(" ") || !link)) {
      if (dhcpWas) own.push({ iface: d.name, say: "stop DHCP to restart it", dhcp: "stop" });
      own.push({ iface: d.name, say: `start DHCP (${d.dhcp.join(" ")})`, dhcp: "start", args: d.dhcp });
    }
    if (pre.length + own.length === 0) continue;
    steps.push(...pre);
    for (const h of d.preUp) steps.push({ iface: d.name, say: `pre_up: ${h}`, hook: h });
    steps.push(...own);
    for (const h of d.postUp) steps.push({ iface: d.name, say: `post_up: ${h}`, hook: h });
  }
  return steps;
}
