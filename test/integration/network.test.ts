// The network service against real links in network namespaces made here (veth pairs; every name
// starts with cn): a DHCP lease from a real dnsmasq through a real dhcpcd, static addresses and
// gateways, DNS and proxies written, re-runs that change nothing or only what changed, a clean
// stop, hooks in order, a bridge, and (where the kernel has them) bond failover and a VLAN.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { run } from "../../os/exec.ts";

const MAIN = join(import.meta.dirname, "../../os/cli/main.ts");
const tmp = mkdtempSync(join(tmpdir(), "corral-cn-"));
const namespaces: string[] = [];
const children: ChildProcess[] = [];
const roots: string[] = [];

/** A namespace of ours, with its loopback up. */
async function netns(name: string): Promise<string> {
  await run("ip", ["netns", "del", name]).catch(() => {});
  await run("ip", ["netns", "add", name]);
  namespaces.push(name);
  await ip(name, "link", "set", "lo", "up");
  return name;
}
const ip = (ns: string, ...args: string[]) => run("ip", ["-n", ns, ...args]);
const inNs = (ns: string, cmd: string, ...args: string[]) => run("ip", ["netns", "exec", ns, cmd, ...args]);
/** A veth pair from `a` (link `an`) to `b` (link `bn`). */
async function veth(a: string, an: string, b: string, bn: string): Promise<void> {
  await run("ip", ["link", "add", an, "netns", a, "type", "veth", "peer", "name", bn, "netns", b]);
}
const ping = (ns: string, to: string) => inNs(ns, "ping", "-c", "1", "-W", "2", to).then(() => true, () => false);
const links = async (ns: string) => JSON.parse((await ip(ns, "-j", "-d", "addr", "show")).stdout) as { ifname: string; ifindex: number; master?: string; flags: string[]; mtu: number; addr_info: { local: string; prefixlen: number; dynamic?: boolean; scope: string }[]; linkinfo?: { info_data?: Record<string, unknown> } }[];
const link = async (ns: string, name: string) => (await links(ns)).find((l) => l.ifname === name);
const globalAddrs = async (ns: string, name: string) => (await link(ns, name))?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort() ?? [];
const until = async (what: string, fn: () => Promise<boolean> | boolean, ms = 20_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await fn()) return;
  assert.fail(`timed out waiting for ${what}`);
};
/** A kernel link type this machine can create (bonding and 8021q are often missing from test kernels). */
async function kernelHas(kind: "bond" | "vlan"): Promise<boolean> {
  const ns = await netns(`cn-probe-${kind}`);
  await ip(ns, "link", "add", "cnp0", "type", "veth", "peer", "name", "cnp1");
  const args = kind === "bond" ? ["link", "add", "cnp2", "type", "bond"] : ["link", "add", "link", "cnp0", "name", "cnp0.5", "type", "vlan", "id", "5"];
  return ip(ns, ...args).then(() => true, () => false);
}

/** A ROS_ROOT tree with this network config; /sys and /proc are the real ones (modules, processes). */
function root(network: object): string {
  const dir = mkdtempSync(join(tmp, "root-"));
  roots.push(dir);
  mkdirSync(join(dir, "var/lib/rancher/conf"), { recursive: true });
  symlinkSync("/sys", join(dir, "sys"));
  symlinkSync("/proc", join(dir, "proc"));
  setConfig(dir, network);
  return dir;
}
const setConfig = (dir: string, network: object) => writeFileSync(join(dir, "var/lib/rancher/conf/cloud-config.yml"), stringify({ rancher: { network } }));

/** `ros network apply` in the namespace: its stdout lines (exit code ignored: errors are asserted on). */
async function apply(ns: string, dir: string, ...flags: string[]): Promise<{ out: string[]; err: string }> {
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", MAIN, "network", "apply", ...flags], { env: { ...process.env, ROS_ROOT: dir } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", () => resolve({ out: out.split("\n").filter(Boolean), err }));
  });
}

/** `ros network-init` in the namespace, its log collected. */
function service(ns: string, dir: string): { child: ChildProcess; log: () => string } {
  let log = "";
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", MAIN, "network-init"], { env: { ...process.env, ROS_ROOT: dir } });
  children.push(child);
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  return { child, log: () => log };
}

function dnsmasq(ns: string, iface: string, extra: string[]): void {
  const d = mkdtempSync(join(tmp, "dnsmasq-"));
  const child = spawn("ip", ["netns", "exec", ns, "/usr/sbin/dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${iface}`, "--bind-interfaces", "--port=0", `--dhcp-leasefile=${join(d, "leases")}`, `--pid-file=${join(d, "pid")}`, ...extra], { stdio: "ignore" });
  children.push(child);
}

const dhcpcdPid = (dir: string, iface: string) => {
  const f = join(dir, "run/ros/network/dhcpcd", `${iface}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { pid: number }).pid : undefined;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  // DHCP clients a failed test left behind.
  for (const dir of roots) {
    const d = join(dir, "run/ros/network/dhcpcd");
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((f) => f.endsWith(".json"))) {
      const pid = dhcpcdPid(dir, f.slice(0, -5));
      if (pid && alive(pid) && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "dhcpcd") process.kill(pid, "SIGKILL");
    }
  }
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const ns of namespaces) await run("ip", ["netns", "del", ns]).catch(() => {});
  // dhcpcd keeps its leases in its own folder on this machine.
  rmSync("/var/lib/dhcpcd/cn-d0.lease", { force: true });
  rmSync(tmp, { recursive: true, force: true });
});

describe("a host with a DHCP link and a static link, run by the service", { timeout: 150_000 }, () => {
  let host: string;
  let dir: string;
  let svc: ReturnType<typeof service>;
  const network = {
    dns: { nameservers: ["10.9.9.9"], search: ["lab.example"] },
    http_proxy: "http://proxy.lab.example:3128",
    no_proxy: "localhost",
    wait_timeout: 20,
    interfaces: {
      "cn-d*": { dhcp: true },
      "cn-s0": { address: "10.61.0.2/24", addresses: ["fd61::2/64"], gateway: "10.61.0.1", gateway_ipv6: "fd61::1", mtu: 1400 },
    },
  };
  before(async () => {
    host = await netns("cn-svc-host");
    const lan = await netns("cn-svc-lan");
    await veth(host, "cn-d0", lan, "cn-d0p");
    await veth(host, "cn-s0", lan, "cn-s0p");
    await ip(lan, "addr", "add", "10.60.0.1/24", "dev", "cn-d0p");
    await ip(lan, "addr", "add", "10.61.0.1/24", "dev", "cn-s0p");
    await ip(lan, "addr", "add", "fd61::1/64", "dev", "cn-s0p", "nodad");
    for (const l of ["cn-d0p", "cn-s0p"]) await ip(lan, "link", "set", l, "up");
    dnsmasq(lan, "cn-d0p", ["--dhcp-range=10.60.0.100,10.60.0.150,1h", "--dhcp-option=3,10.60.0.1", "--dhcp-option=6,10.60.0.53", "--dhcp-option=15,corp.example"]);
    dir = root(network);
    svc = service(host, dir);
    await until("the service's first pass", () => existsSync(join(dir, "run/ros/network/last-apply.json")), 60_000);
  });

  test("a DHCP lease from dnsmasq, static addresses, MTU and gateways, DNS and proxies written", async () => {
    const lease = (await globalAddrs(host, "cn-d0")).filter((a) => a.startsWith("10.60.0."));
    assert.equal(lease.length, 1, svc.log());
    assert.ok((await link(host, "cn-d0"))!.addr_info.some((a) => a.dynamic), "the lease has a lifetime");
    assert.deepEqual(await globalAddrs(host, "cn-s0"), ["10.61.0.2/24", "fd61::2/64"]);
    assert.equal((await link(host, "cn-s0"))!.mtu, 1400);
    const routes = (await ip(host, "route", "show", "default")).stdout;
    assert.match(routes, /default via 10\.61\.0\.1 dev cn-s0 proto static/);
    assert.match(routes, /default via 10\.60\.0\.1 dev cn-d0 proto dhcp/);
    assert.match((await ip(host, "-6", "route", "show", "default")).stdout, /default via fd61::1 dev cn-s0 proto static/);
    assert.ok(await ping(host, "10.61.0.1"), "the static link reaches its gateway");
    assert.ok(await ping(host, "10.60.0.1"), "the DHCP link reaches its server");
    await until("resolv.conf with the DHCP server's DNS", () => readFileSync(join(dir, "etc/resolv.conf"), "utf8").includes("10.60.0.53"));
    assert.deepEqual(readFileSync(join(dir, "etc/resolv.conf"), "utf8").split("\n").slice(1), ["search lab.example corp.example", "nameserver 10.9.9.9", "nameserver 10.60.0.53", ""]);
    assert.equal(readFileSync(join(dir, "etc/environment"), "utf8"), "http_proxy=http://proxy.lab.example:3128\nHTTP_PROXY=http://proxy.lab.example:3128\nno_proxy=localhost\nNO_PROXY=localhost\n");
  });

  test("a re-run with the same config changes nothing: same links, addresses and DHCP client", async () => {
    const before = { links: (await links(host)).map((l) => `${l.ifname}#${l.ifindex}`), d0: await globalAddrs(host, "cn-d0"), s0: await globalAddrs(host, "cn-s0"), pid: dhcpcdPid(dir, "cn-d0") };
    assert.ok(before.pid && alive(before.pid));
    assert.deepEqual((await apply(host, dir, "--dry-run")).out, ["no changes"]);
    const r = await apply(host, dir);
    assert.deepEqual(r.out.filter((l) => !l.startsWith("addresses ready")), ["no changes"], r.err);
    assert.deepEqual({ links: (await links(host)).map((l) => `${l.ifname}#${l.ifindex}`), d0: await globalAddrs(host, "cn-d0"), s0: await globalAddrs(host, "cn-s0"), pid: dhcpcdPid(dir, "cn-d0") }, before);
    assert.ok(alive(before.pid));
  });

  test("a changed address: only that address is replaced (and its gateway set again)", async () => {
    const ifindex = (await link(host, "cn-s0"))!.ifindex;
    const pid = dhcpcdPid(dir, "cn-d0");
    const lease = await globalAddrs(host, "cn-d0");
    setConfig(dir, { ...network, interfaces: { ...network.interfaces, "cn-s0": { ...network.interfaces["cn-s0"], address: "10.61.0.3/24" } } });
    assert.deepEqual((await apply(host, dir, "--dry-run")).out, ["would cn-s0: remove address 10.61.0.2/24", "would cn-s0: add address 10.61.0.3/24", "would cn-s0: set default route via 10.61.0.1"]);
    const r = await apply(host, dir);
    assert.deepEqual(r.out.filter((l) => !l.startsWith("addresses ready")), ["cn-s0: remove address 10.61.0.2/24", "cn-s0: add address 10.61.0.3/24", "cn-s0: set default route via 10.61.0.1"], r.err);
    assert.deepEqual(await globalAddrs(host, "cn-s0"), ["10.61.0.3/24", "fd61::2/64"]);
    assert.equal((await link(host, "cn-s0"))!.ifindex, ifindex);
    assert.equal(dhcpcdPid(dir, "cn-d0"), pid);
    assert.deepEqual(await globalAddrs(host, "cn-d0"), lease);
    assert.ok(await ping(host, "10.61.0.1"));
  });

  test("SIGTERM: the service stops its DHCP client and exits 0; the lease stays configured", async () => {
    const pid = dhcpcdPid(dir, "cn-d0")!;
    const lease = await globalAddrs(host, "cn-d0");
    const code = new Promise((r) => svc.child.on("exit", r));
    svc.child.kill("SIGTERM");
    assert.equal(await code, 0, svc.log());
    assert.equal(alive(pid), false);
    assert.deepEqual(await globalAddrs(host, "cn-d0"), lease);
  });
});

test("hooks run in order: pre_cmds, pre_up (link still down), post_up (addressed), post_cmds; only pre/post_cmds again when nothing changed", { timeout: 60_000 }, async () => {
  const ns = await netns("cn-hook-host");
  const peer = await netns("cn-hook-peer");
  await veth(ns, "cn-h0", peer, "cn-h0p");
  await ip(peer, "link", "set", "cn-h0p", "up");
  const order = join(tmp, "order");
  const log = (what: string) => `echo ${what} $(ip -br addr show cn-h0 | awk '{print $2, $3}') >> ${order}`;
  const dir = root({ pre_cmds: [log("pre_cmds")], post_cmds: [log("post_cmds")], interfaces: { "cn-h0": { address: "10.62.0.2/24", pre_up: [log("pre_up")], post_up: [log("post_up"), "exit 3"] } } });
  const r = await apply(ns, dir);
  assert.match(r.err, /cn-h0: post_up: exit 3: .*failed \(3\).*fix the command in its pre_up\/post_up/);
  assert.deepEqual(readFileSync(order, "utf8").split("\n").filter(Boolean), ["pre_cmds DOWN", "pre_up DOWN", "post_up UP 10.62.0.2/24", "post_cmds UP 10.62.0.2/24"]);
  rmSync(order);
  await apply(ns, dir);
  assert.deepEqual(readFileSync(order, "utf8").split("\n").filter(Boolean), ["pre_cmds UP 10.62.0.2/24", "post_cmds UP 10.62.0.2/24"]);
});

test("a bridge: two ports joined into a new bridge that carries the address; the peers reach each other through it", { timeout: 60_000 }, async () => {
  const ns = await netns("cn-br-host");
  const a = await netns("cn-br-a");
  const b = await netns("cn-br-b");
  await veth(ns, "cn-p1", a, "cn-p1p");
  await veth(ns, "cn-p2", b, "cn-p2p");
  await ip(a, "addr", "add", "10.63.0.11/24", "dev", "cn-p1p");
  await ip(b, "addr", "add", "10.63.0.12/24", "dev", "cn-p2p");
  await ip(a, "link", "set", "cn-p1p", "up");
  await ip(b, "link", "set", "cn-p2p", "up");
  const dir = root({ interfaces: { "cn-br0": { bridge: true, address: "10.63.0.1/24" }, "cn-p*": { bridge: "cn-br0" } } });
  const r = await apply(ns, dir);
  assert.equal(r.err, "");
  assert.equal((await link(ns, "cn-p1"))!.master, "cn-br0");
  assert.equal((await link(ns, "cn-p2"))!.master, "cn-br0");
  assert.deepEqual(await globalAddrs(ns, "cn-br0"), ["10.63.0.1/24"]);
  // A new bridge forwards only once its ports leave the listening state (STP is off: at once, or after forward_delay).
  await until("the bridge forwards", () => ping(a, "10.63.0.12"), 40_000);
  assert.ok(await ping(b, "10.63.0.1"));
  // Undo: the port leaves, the bridge this service made is deleted; the port itself stays.
  setConfig(dir, { interfaces: { "cn-p*": {} } });
  const undo = await apply(ns, dir);
  assert.deepEqual(undo.out.filter((l) => !l.startsWith("addresses")), ["cn-br0: delete bridge (no longer configured)"], undo.err);
  assert.equal(await link(ns, "cn-br0"), undefined);
  assert.ok(await link(ns, "cn-p1"));
});

test("bond active-backup: ping keeps working when the active port's link goes down", { timeout: 90_000 }, async (t) => {
  if (!(await kernelHas("bond"))) return t.skip("this kernel has no bonding (CONFIG_BONDING): run this on a kernel with it, like the guest's");
  const ns = await netns("cn-bond-host");
  const sw = await netns("cn-bond-sw");
  await veth(ns, "cn-e0", sw, "cn-e0p");
  await veth(ns, "cn-e1", sw, "cn-e1p");
  // The far side: a switch (bridge) with both cables and the gateway's address.
  await ip(sw, "link", "add", "cn-sw", "type", "bridge");
  for (const l of ["cn-e0p", "cn-e1p"]) {
    await ip(sw, "link", "set", l, "master", "cn-sw");
    await ip(sw, "link", "set", l, "up");
  }
  await ip(sw, "addr", "add", "10.64.0.1/24", "dev", "cn-sw");
  await ip(sw, "link", "set", "cn-sw", "up");
  const dir = root({ interfaces: { "cn-e*": { bond: "cn-bond0" }, "cn-bond0": { address: "10.64.0.2/24", bond_opts: { mode: "active-backup", miimon: 100 } } } });
  const r = await apply(ns, dir);
  assert.equal(r.err, "");
  await until("ping through the bond", () => ping(ns, "10.64.0.1"), 40_000);
  const active = String((await link(ns, "cn-bond0"))!.linkinfo?.info_data?.active_slave);
  assert.match(active, /^cn-e[01]$/);
  await ip(sw, "link", "set", `${active}p`, "down");
  await until("the other port takes over", async () => String((await link(ns, "cn-bond0"))!.linkinfo?.info_data?.active_slave) !== active, 10_000);
  await until("ping through the other port", () => ping(ns, "10.64.0.1"), 20_000);
  assert.deepEqual((await apply(ns, dir)).out.filter((l) => !l.startsWith("addresses")), ["no changes"]);
});

test("VLAN: a tagged link reaches the peer's VLAN; removed from the config, it is deleted", { timeout: 60_000 }, async (t) => {
  if (!(await kernelHas("vlan"))) return t.skip("this kernel has no 802.1Q (CONFIG_VLAN_8021Q): run this on a kernel with it, like the guest's");
  const ns = await netns("cn-vlan-host");
  const peer = await netns("cn-vlan-peer");
  await veth(ns, "cn-t0", peer, "cn-t0p");
  await ip(peer, "link", "set", "cn-t0p", "up");
  await ip(peer, "link", "add", "link", "cn-t0p", "name", "cn-t0p.100", "type", "vlan", "id", "100");
  await ip(peer, "addr", "add", "10.65.0.1/24", "dev", "cn-t0p.100");
  await ip(peer, "link", "set", "cn-t0p.100", "up");
  const dir = root({ interfaces: { "cn-t0": { vlans: "100" }, "cn-t0.100": { address: "10.65.0.2/24" } } });
  const r = await apply(ns, dir);
  assert.equal(r.err, "");
  assert.ok(await ping(ns, "10.65.0.1"), "tagged traffic reaches the peer");
  setConfig(dir, { interfaces: { "cn-t0": {} } });
  assert.deepEqual((await apply(ns, dir)).out, ["cn-t0.100: delete vlan (no longer configured)"]);
  assert.equal(await link(ns, "cn-t0.100"), undefined);
});

test("a link type the kernel cannot create is reported with its interface and what to do; the rest applies", { timeout: 60_000 }, async (t) => {
  if (await kernelHas("bond")) return t.skip("this kernel has bonding: no link type to fail with");
  const ns = await netns("cn-err-host");
  const peer = await netns("cn-err-peer");
  await veth(ns, "cn-x0", peer, "cn-x0p");
  const dir = root({ interfaces: { "cn-bond9": { bond_opts: { mode: "active-backup" }, address: "10.66.1.2/24" }, "cn-x0": { address: "10.66.0.2/24" }, "cn-missing": { dhcp: true } } });
  const r = await apply(ns, dir);
  assert.match(r.err, /error: cn-bond9: create bond \(mode active-backup\): .*Unknown device type.*\(the kernel lacks support for this link type: add its module to rancher\.network\.modules/);
  assert.match(r.err, /error: cn-missing: no interface cn-missing on this host; check the name with "ip link"/);
  assert.deepEqual(await globalAddrs(ns, "cn-x0"), ["10.66.0.2/24"]);
  assert.ok(r.out.includes("cn-x0: add address 10.66.0.2/24"));
});
