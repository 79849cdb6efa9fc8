// The network service's pure parts: which entry configures which link, the plan a config renders,
// the diff against a kernel state, the host files, and the bounded wait.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import type { NetworkConfig } from "../../cloud-config/schema/index.ts";
import { bondChanges, diff, type Running, type Step } from "../../system-services/network/diff.ts";
import { parseDhcpDns, renderEnvironment, renderResolvConf } from "../../system-services/network/host-files.ts";
import { MANAGED, parseLinks, parseRoutes, type Addr, type KernelState, type Link } from "../../system-services/network/links.ts";
import { assign, globRegExp } from "../../system-services/network/match.ts";
import { canonicalCidr, DEFAULT_DHCP_ARGS, plan } from "../../system-services/network/plan.ts";
import { waitReady } from "../../system-services/network/wait.ts";

let nextIndex = 1;
const addr = (cidr: string, o: Partial<Addr> = {}): Addr => ({ cidr, family: cidr.includes(":") ? 6 : 4, dynamic: false, scope: "global", tentative: false, ...o });
const link = (name: string, o: Partial<Link> = {}): Link => ({ name, ifindex: nextIndex++, mac: "", mtu: 1500, up: true, carrier: true, addrs: [], ...o });
const lo = () => link("lo", { addrs: [addr("127.0.0.1/8", { scope: "host" })] });
const say = (steps: Step[]) => steps.map((s) => `${s.iface}: ${s.say}`);

test("globs: *, ? and [sets], nothing else is special", () => {
  assert.ok(globRegExp("eth*").test("eth10"));
  assert.ok(!globRegExp("eth*").test("veth0"));
  assert.ok(globRegExp("en?1").test("enp1") && !globRegExp("en?1").test("enp11"));
  assert.ok(globRegExp("eth[02]").test("eth2") && !globRegExp("eth[02]").test("eth1"));
  assert.ok(globRegExp("eth[!0]").test("eth1") && !globRegExp("eth[!0]").test("eth0"));
  assert.ok(!globRegExp("bond0.1*").test("bond0x100"), "a dot is literal");
});

test("the most specific entry wins: exact name, then MAC, then the longest glob; lo only by name", () => {
  const links = [{ name: "eth0", mac: "52:54:00:12:34:56" }, { name: "eth1", mac: "52:54:00:12:34:57" }, { name: "eth10", mac: "aa:aa:aa:aa:aa:aa" }, { name: "lo", mac: "00:00:00:00:00:00" }];
  const m = assign(
    {
      "*": { mtu: 1000 },
      "eth*": { dhcp: true },
      "eth1*": { mtu: 1400 },
      "mac=52:54:00:12:34:56": { dhcp: false },
      "MAC=ignored": {},
      "mac=52:54:00:12:34:57": { mtu: 9000 },
      eth1: { address: "10.0.0.1/24" },
    },
    links,
    (l) => l.name !== "lo",
  );
  assert.equal(m.get("eth0")?.key, "mac=52:54:00:12:34:56");
  assert.equal(m.get("eth1")?.key, "eth1");
  assert.equal(m.get("eth10")?.key, "eth1*");
  assert.equal(m.has("lo"), false);
  // match: stands in for the key.
  const viaMatch = assign({ uplink: { match: "mac=AA:AA:AA:AA:AA:AA", dhcp: true } }, links, () => true);
  assert.equal(viaMatch.get("eth10")?.key, "uplink");
});

test("the static bond example renders a bond of two NICs, its VLAN, and leaves other eth* unaddressed", () => {
  const cfg = parse(readFileSync("/work/shared/examples/network-static-bond.yml", "utf8")).rancher.network as NetworkConfig;
  const links = [lo(), link("eth0", { mac: "52:54:00:12:34:56" }), link("eth1", { mac: "52:54:00:12:34:57" }), link("eth2", { mac: "52:54:00:00:00:01" })];
  const p = plan(cfg, links);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.ifaces.map((d) => d.name), ["lo", "eth0", "eth1", "eth2", "bond0", "bond0.100"]);
  const by = Object.fromEntries(p.ifaces.map((d) => [d.name, d]));
  assert.deepEqual(by.bond0!.create, { kind: "bond", opts: { mode: "active-backup", miimon: "100" } });
  assert.deepEqual([by.bond0!.addresses, by.bond0!.gateway, by.bond0!.mtu], [["10.0.0.20/24"], "10.0.0.1", 9000]);
  assert.equal(by.eth0!.master, "bond0");
  assert.equal(by.eth1!.master, "bond0");
  assert.deepEqual([by.eth2!.master, by.eth2!.addresses, by.eth2!.dhcp], [undefined, [], undefined]);
  assert.deepEqual(by["bond0.100"]!.create, { kind: "vlan", parent: "bond0", id: 100 });
  assert.deepEqual(p.modules, ["bonding", "8021q"]);
  assert.equal(by.lo!.addresses, undefined, "the loopback's addresses are left alone");
});

test("vlans on a parent, bridge: true and bridge: <name>, DHCP options", () => {
  const p = plan(
    {
      interfaces: {
        eth0: { vlans: "100,200:mgmt", dhcp: true },
        "eth0.100": { address: "10.100.0.2/24" },
        br0: { bridge: true, address: "FD00:0:0::1/64", gateway_ipv6: "fd00:0::fe" },
        eth1: { bridge: "br0" },
        eth2: { dhcp: true, dhcp_args: " -4  -t 30 ", ipv4ll: true },
      },
    },
    [lo(), link("eth0"), link("eth1"), link("eth2")],
  );
  const by = Object.fromEntries(p.ifaces.map((d) => [d.name, d]));
  assert.deepEqual(p.ifaces.map((d) => d.name), ["lo", "eth0", "eth1", "eth2", "br0", "eth0.100", "mgmt"]);
  assert.deepEqual(by["eth0.100"]!.create, { kind: "vlan", parent: "eth0", id: 100 });
  assert.deepEqual(by["eth0.100"]!.addresses, ["10.100.0.2/24"]);
  assert.deepEqual(by.mgmt!.create, { kind: "vlan", parent: "eth0", id: 200 });
  assert.deepEqual(by.br0!.create, { kind: "bridge" });
  assert.deepEqual([by.br0!.addresses, by.br0!.gateway6], [["fd00::1/64"], "fd00::fe"]);
  assert.equal(by.eth1!.master, "br0");
  assert.deepEqual(by.eth0!.dhcp, [...DEFAULT_DHCP_ARGS, "--noipv4ll"]);
  assert.deepEqual(by.eth2!.dhcp, ["-4", "-t", "30"]);
  assert.equal(canonicalCidr("2001:DB8:0:0:0:0:0:1/64"), "2001:db8::1/64");
});

test("what cannot apply is a problem naming the key and what to do; the rest still plans", () => {
  const p = plan(
    {
      interfaces: {
        eth9: { address: "10.0.0.9/24" },
        veth0: { bridge: true },
        "mac=52:54:00:99:99:99": { dhcp: true },
        eth0: { address: "10.0.0.1/24" },
        uplink: { vlan: 5 },
      },
    },
    [lo(), link("eth0"), link("veth0", { kind: "veth" })],
  );
  assert.equal(p.problems.length, 3, p.problems.join("\n"));
  assert.match(p.problems.join("\n"), /eth9: no interface eth9 on this host; check the name with "ip link"/);
  assert.match(p.problems.join("\n"), /veth0: exists as veth, not a bridge/);
  assert.match(p.problems.join("\n"), /uplink: vlan needs the interface named <parent>\.<id>/);
  assert.deepEqual(p.ifaces.map((d) => d.name), ["lo", "eth0"], "an unmatched MAC is no problem: that NIC may come later");
});

const CFG: NetworkConfig = {
  interfaces: {
    eth0: { address: "10.0.0.2/24", gateway: "10.0.0.1", mtu: 1400, pre_up: ["echo pre"], post_up: ["echo post"] },
    eth1: { dhcp: true },
    "eth0.100": { vlan: 100, address: "10.100.0.2/24" },
  },
};
/** The kernel once CFG is applied. */
const applied = (): KernelState => ({
  links: [
    lo(),
    link("eth0", { mtu: 1400, addrs: [addr("10.0.0.2/24"), addr("fe80::1/64", { scope: "link" })] }),
    link("eth1", { addrs: [addr("192.168.1.50/24", { dynamic: true })] }),
    link("eth0.100", { kind: "vlan", parent: "eth0", vlanId: 100, alias: MANAGED, mtu: 1400, addrs: [addr("10.100.0.2/24")] }),
  ],
  routes: [{ family: 4, gateway: "10.0.0.1", dev: "eth0", protocol: "static" }, { family: 4, gateway: "192.168.1.1", dev: "eth1", protocol: "dhcp" }],
});
const RUNNING: Running = { eth1: [...DEFAULT_DHCP_ARGS, "--noipv4ll"] };
const stepsFor = (cfg: NetworkConfig, state: KernelState, running = RUNNING) => diff(plan(cfg, state.links), state, running);

test("an applied config diffs to nothing: no hook runs, no DHCP restart", () => {
  assert.deepEqual(stepsFor(CFG, applied()), []);
});

test("from a bare kernel: every step, hooks around the interface's own, VLAN after its parent", () => {
  const bare: KernelState = { links: [link("lo", { up: false }), link("eth0", { up: false }), link("eth1", { up: false })], routes: [] };
  const steps = stepsFor(CFG, bare, {});
  assert.deepEqual(say(steps), [
    "lo: bring up",
    "eth0: pre_up: echo pre",
    "eth0: set MTU 1400",
    "eth0: bring up",
    "eth0: add address 10.0.0.2/24",
    "eth0: set default route via 10.0.0.1",
    "eth0: post_up: echo post",
    "eth1: bring up",
    `eth1: start DHCP (${RUNNING.eth1!.join(" ")})`,
    "eth0.100: create VLAN 100 on eth0",
    "eth0.100: bring up",
    "eth0.100: add address 10.100.0.2/24",
  ]);
  assert.deepEqual((steps[9] as { ip: string[][] }).ip, [["link", "add", "link", "eth0", "name", "eth0.100", "type", "vlan", "id", "100"], ["link", "set", "eth0.100", "alias", MANAGED]]);
});

test("a changed address: the old one goes, the new one comes, the gateway is set again, nothing else", () => {
  const cfg = structuredClone(CFG);
  cfg.interfaces!.eth0!.address = "10.0.0.3/24";
  assert.deepEqual(say(stepsFor(cfg, applied())), ["eth0: pre_up: echo pre", "eth0: remove address 10.0.0.2/24", "eth0: add address 10.0.0.3/24", "eth0: set default route via 10.0.0.1", "eth0: post_up: echo post"]);
});

test("removed VLAN deleted; unmanaged links and DHCP leases left; DHCP off removes the lease after stopping the client", () => {
  const cfg: NetworkConfig = { interfaces: { eth0: CFG.interfaces!.eth0!, eth1: {} } };
  const state = applied();
  state.links.push(link("docker0", { kind: "bridge", addrs: [addr("172.17.0.1/16")] }));
  assert.deepEqual(say(stepsFor(cfg, state)), ["eth0.100: delete vlan (no longer configured)", "eth1: stop DHCP", "eth1: remove address 192.168.1.50/24"]);
});

test("DHCP options changed: that client restarts; a static address on a DHCP link is added beside the lease", () => {
  const cfg = structuredClone(CFG);
  cfg.interfaces!.eth1 = { dhcp: true, dhcp_args: "-4", addresses: ["10.9.0.1/16"] };
  assert.deepEqual(say(stepsFor(cfg, applied())), ["eth1: add address 10.9.0.1/16", "eth1: stop DHCP to restart it", "eth1: start DHCP (-4 --noipv4ll)"]);
});

test("an IPv6 address with a new prefix: removed, added again; only the stale gateway of the other family goes", () => {
  const cfg: NetworkConfig = { interfaces: { eth0: { addresses: ["fd00::2/48"], gateway_ipv6: "fd00::1" } } };
  const state: KernelState = { links: [lo(), link("eth0", { addrs: [addr("fd00::2/64")] })], routes: [{ family: 4, gateway: "10.0.0.1", dev: "eth0", protocol: "static" }, { family: 6, gateway: "fd00::1", dev: "eth0", protocol: "static" }] };
  const steps = stepsFor(cfg, state, {});
  assert.deepEqual(say(steps), ["eth0: remove address fd00::2/64", "eth0: add address fd00::2/48", "eth0: remove default route via 10.0.0.1", "eth0: set default route via fd00::1"]);
  assert.deepEqual((steps[3] as { ip: string[][] }).ip[0], ["-6", "route", "replace", "default", "via", "fd00::1", "dev", "eth0", "proto", "static"]);
});

test("bonds: options compared by meaning; a new mode recreates the bond and its ports join again", () => {
  assert.deepEqual(bondChanges({ mode: "1", miimon: "100", lacp_rate: "fast", primary: "eth0" }, { mode: "active-backup", miimon: "100", ad_lacp_rate: "fast" }), {});
  assert.deepEqual(bondChanges({ miimon: "200" }, { miimon: "100" }), { miimon: "200" });
  const cfg: NetworkConfig = { interfaces: { eth0: { bond: "bond0" }, eth1: { bond: "bond0" }, bond0: { bond_opts: { mode: "802.3ad", miimon: 200 }, address: "10.0.0.20/24" } } };
  const bond = link("bond0", { kind: "bond", alias: MANAGED, bondOpts: { mode: "active-backup", miimon: "100" }, addrs: [addr("10.0.0.20/24")] });
  const state: KernelState = { links: [lo(), link("eth0", { master: "bond0" }), link("eth1", { master: "bond0" }), bond], routes: [] };
  assert.deepEqual(say(stepsFor(cfg, state, {})), [
    "bond0: delete bond to create it anew",
    "bond0: create bond (mode 802.3ad, miimon 200)",
    "eth0: join bond0",
    "eth0: bring up",
    "eth1: join bond0",
    "eth1: bring up",
    "bond0: bring up",
    "bond0: add address 10.0.0.20/24",
  ]);
  bond.bondOpts!.mode = "802.3ad";
  assert.deepEqual(say(stepsFor(cfg, state, {})), ["bond0: set bond options miimon 200"]);
  assert.deepEqual((stepsFor(cfg, state, {})[0] as { ip: string[][] }).ip, [["link", "set", "bond0", "type", "bond", "miimon", "200"]]);
});

test("a bond's port that is up is taken down to join, then up again", () => {
  const steps = stepsFor({ interfaces: { eth0: { bond: "bond0" } } }, { links: [lo(), link("eth0")], routes: [] }, {});
  assert.deepEqual(say(steps), ["bond0: create bond", "eth0: join bond0", "eth0: bring up", "bond0: bring up"]);
  assert.deepEqual((steps[1] as { ip: string[][] }).ip, [["link", "set", "eth0", "down"], ["link", "set", "eth0", "master", "bond0"]]);
});

test("resolv.conf: configured servers first, then DHCP's unless override; nothing to say leaves the file", () => {
  const dhcp = [parseDhcpDns("nameservers=10.0.0.53 10.0.0.54\nsearch=corp.example\n")];
  assert.equal(renderResolvConf({ nameservers: ["1.1.1.1"], search: ["lab.example"] }, dhcp)!.split("\n").slice(1).join("\n"), "search lab.example corp.example\nnameserver 1.1.1.1\nnameserver 10.0.0.53\nnameserver 10.0.0.54\n");
  assert.doesNotMatch(renderResolvConf({ nameservers: ["1.1.1.1"], override: true }, dhcp)!, /10\.0\.0\.53|corp/);
  assert.equal(renderResolvConf(undefined, []), undefined);
  assert.deepEqual(parseDhcpDns("nameservers=\nsearch=\n"), { nameservers: [], search: [] });
});

test("environment: proxy lines in both spellings replace the old ones; other lines stay", () => {
  const old = "PATH=/usr/bin\nhttp_proxy=http://old:1\nHTTPS_PROXY=http://old:2\n";
  assert.equal(renderEnvironment(old, { http_proxy: "http://p:3128", no_proxy: "localhost,10.0.0.0/8" }), "PATH=/usr/bin\nhttp_proxy=http://p:3128\nHTTP_PROXY=http://p:3128\nno_proxy=localhost,10.0.0.0/8\nNO_PROXY=localhost,10.0.0.0/8\n");
  assert.equal(renderEnvironment(old, {}), "PATH=/usr/bin\n");
});

test("ip's JSON: links with kind, master, VLAN, alias, bond options and addresses; default routes", () => {
  const links = parseLinks(
    JSON.stringify([
      { ifindex: 3, ifname: "eth0.7", link: "eth0", flags: ["BROADCAST", "UP", "LOWER_UP"], mtu: 1500, address: "AA:BB:CC:DD:EE:FF", ifalias: MANAGED, linkinfo: { info_kind: "vlan", info_data: { protocol: "802.1Q", id: 7 } }, addr_info: [{ family: "inet6", local: "fd00::5", prefixlen: 64, scope: "global", tentative: true }] },
      { ifindex: 4, ifname: "bond0", flags: ["NO-CARRIER", "UP"], mtu: 9000, master: "br0", linkinfo: { info_kind: "bond", info_data: { mode: "active-backup", miimon: 100, arp_ip_target: ["10.0.0.1", "10.0.0.2"] } }, addr_info: [{ family: "inet", local: "10.0.0.2", prefixlen: 24, scope: "global", dynamic: true }] },
    ]),
  );
  assert.deepEqual(links[0], { name: "eth0.7", ifindex: 3, mac: "aa:bb:cc:dd:ee:ff", mtu: 1500, up: true, carrier: true, kind: "vlan", master: undefined, parent: "eth0", vlanId: 7, alias: MANAGED, bondOpts: undefined, addrs: [{ cidr: "fd00::5/64", family: 6, dynamic: false, scope: "global", tentative: true }] });
  assert.deepEqual([links[1]!.carrier, links[1]!.master, links[1]!.bondOpts], [false, "br0", { mode: "active-backup", miimon: "100", arp_ip_target: "10.0.0.1,10.0.0.2" }]);
  assert.deepEqual(parseRoutes('[{"dst":"default","gateway":"10.0.0.1","dev":"eth0","protocol":"static","flags":[]},{"dst":"10.0.0.0/24","dev":"eth0"}]', 4), [{ family: 4, gateway: "10.0.0.1", dev: "eth0", protocol: "static" }]);
});

test("the wait ends when addresses are usable, skips links without carrier, and reports what is late", async () => {
  const p = plan({ interfaces: { eth0: { address: "fd00::2/64" }, eth1: { dhcp: true }, eth2: { address: "10.0.0.2/24" } } }, [lo(), link("eth0"), link("eth1"), link("eth2")]);
  let reads = 0;
  const notes = await waitReady(p, 5, async () => {
    reads++;
    return {
      links: [link("eth0", { addrs: [addr("fd00::2/64", { tentative: reads < 3 })] }), link("eth1", { addrs: [addr("10.1.0.5/24", { dynamic: reads >= 4 })] }), link("eth2", { carrier: false })],
      routes: [],
    };
  });
  assert.ok(reads >= 4, "waited for the tentative address and the lease");
  // The link without carrier is given a grace to see one, then not waited for.
  assert.match(notes[0]!, /^eth2: no carrier, not waiting/);
  assert.match(notes.at(-1)!, /^addresses ready after 3\.\ds/);
  const late = await waitReady(p, 1, async () => ({ links: [link("eth0"), link("eth1"), link("eth2", { addrs: [addr("10.0.0.2/24")] })], routes: [] }));
  assert.deepEqual(late.map((n) => n.split(":")[0]), ["eth0", "eth1"]);
  assert.match(late[1]!, /no DHCP lease after 1s; dhcpcd keeps trying/);
});
