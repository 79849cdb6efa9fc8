// The live ISO on a LAN of two NICs, booted with ../shared/examples/basic.yml and
// network-static-bond.yml as MIME parts (read in place): the bond, its VLAN and failover, basic's
// hostname, motd and runcmd, and drivers loaded at boot and on a hot-plug.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../build/cache.ts";
import type { Vm, VmOptions } from "../../build/vm.ts";
import { ssh, type SshTarget } from "./ssh.ts";
import { out, waitForServices } from "./guest.ts";

/** Two NICs bonded, static addresses, a VLAN. */
const BOND_EXAMPLE = join(REPO, "../shared/examples/network-static-bond.yml");
/** Hostname, a file and a runcmd, with a placeholder key: the test's key comes in a later part. */
const BASIC_EXAMPLE = join(REPO, "../shared/examples/basic.yml");

/** Why the bonded checks cannot run here, or false. */
export const noBondExamples = !(existsSync(BOND_EXAMPLE) && existsSync(BASIC_EXAMPLE)) && "no ../shared/examples/network-static-bond.yml or basic.yml";

/**
 * The two NICs the bond example names by MAC, both on one LAN (QEMU's user network on
 * 10.0.0.0/24, SSH forwarded to the bond's static address), and a SATA controller present at boot
 * whose driver (ahci) coldplug must load.
 */
export const BONDED_HARDWARE: Pick<VmOptions, "lan" | "devices"> = {
  lan: { nics: 2, net: "10.0.0.0/24", host: "10.0.0.1", dns: "10.0.0.2", sshTo: "10.0.0.20" },
  devices: ["ahci,id=sata"],
};

/** User data as a MIME multipart message of cloud-config parts, merged in order (later wins). */
function multipart(parts: string[]): string {
  const b = "corral-boot-test-part";
  return [`Content-Type: multipart/mixed; boundary="${b}"`, "MIME-Version: 1.0", "", ...parts.flatMap((p) => [`--${b}`, "Content-Type: text/cloud-config", "", p]), `--${b}--`, ""].join("\n");
}

/** basic.yml, the bond example, and a part with the test's key (basic.yml's own is a placeholder). */
export function bondedUserData(pub: string): string {
  return multipart([readFileSync(BASIC_EXAMPLE, "utf8"), readFileSync(BOND_EXAMPLE, "utf8"), `#cloud-config\nssh_authorized_keys:\n  - ${pub}\n`]);
}

/** One slave's block of /proc/net/bonding/bond0: its name, and the MAC it had before the bond. */
function bondSlaves(status: string): { name: string; mac: string }[] {
  return [...status.matchAll(/^Slave Interface: (\S+)$[\s\S]*?^Permanent HW addr: (\S+)$/gm)].map((m) => ({ name: m[1]!, mac: m[2]! }));
}

/**
 * The bond, its address, MTU and gateway, the DNS and the VLAN on top; the drivers; basic.yml's
 * hostname, motd and runcmd; then the active NIC's cable is pulled, the bond fails over to the
 * other, and a new SSH login answers over it.
 */
export async function checkBondedHost(vm: Vm, target: SshTarget): Promise<void> {
  const status = await out(target, "cat /proc/net/bonding/bond0");
  assert.match(status, /^Bonding Mode: fault-tolerance \(active-backup\)$/m);
  assert.match(status, /^MII Polling Interval \(ms\): 100$/m);
  const slaves = bondSlaves(status);
  assert.deepEqual(slaves.map((x) => x.mac).sort(), ["52:54:00:12:34:56", "52:54:00:12:34:57"], status);
  assert.match(await out(target, "ip -o -4 addr show dev bond0"), /inet 10\.0\.0\.20\/24 /);
  assert.equal((await out(target, "cat /sys/class/net/bond0/mtu")).trim(), "9000");
  assert.match(await out(target, "ip route show default"), /^default via 10\.0\.0\.1 dev bond0/m);
  const resolv = await out(target, "cat /etc/resolv.conf");
  assert.match(resolv, /^nameserver 10\.0\.0\.2\nnameserver 10\.0\.0\.3$/m);
  assert.match(resolv, /^search lab\.example$/m);
  assert.match(await out(target, "ip -d -o link show dev bond0.100"), /vlan protocol 802\.1Q id 100 /);
  assert.match(await out(target, "ip -o -4 addr show dev bond0.100"), /inet 10\.100\.0\.20\/24 /);
  await checkDrivers(vm, target);
  assert.equal((await out(target, "hostname")).trim(), "corral-01");
  assert.equal(await out(target, "cat /etc/motd"), "Welcome to corral-01\n");
  assert.equal(await out(target, "stat -c '%U %a' /etc/motd"), "root 644\n");
  // runcmd comes last in the console's start: give it time.
  const ran = Date.now() + 120_000;
  while ((await ssh(target, "cat /var/log/first-boot")).stdout !== "booted\n") {
    if (Date.now() > ran) assert.fail(`basic.yml's runcmd did not write /var/log/first-boot; cloud-init: ${await out(target, "sudo cat /run/ros/cloud-init.json")}`);
    await new Promise((r) => setTimeout(r, 3000));
  }

  const active = status.match(/^Currently Active Slave: (\S+)$/m)?.[1];
  const mac = slaves.find((x) => x.name === active)?.mac;
  assert.ok(mac, `no active slave in:\n${status}`);
  await vm.setLink(`nic${parseInt(mac.slice(-2), 16) - 0x56}`, false);
  const until = Date.now() + 60_000;
  for (;;) {
    const now = (await out(target, "cat /proc/net/bonding/bond0")).match(/^Currently Active Slave: (\S+)$/m)?.[1];
    if (now && now !== active) break;
    if (Date.now() > until) assert.fail(`bond0 still on ${active} 60 s after its cable was pulled`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.equal((await out(target, "hostname")).trim(), "corral-01", "a new SSH login over the other NIC");
}

/**
 * Drivers: the SATA controller present at boot has ahci (coldplug), and a VMware NIC plugged in
 * while the host runs gets vmxnet3 (the udev service), becomes a link, and gets the address its MAC
 * is given in the config, without a restart of the network service.
 */
async function checkDrivers(vm: Vm, target: SshTarget): Promise<void> {
  assert.equal((await out(target, "test -d /sys/module/ahci && echo loaded")).trim(), "loaded", "ahci for the SATA controller present at boot");
  assert.match(await out(target, "ls /sys/bus/pci/drivers/ahci"), /^0000:/m, "ahci drives the controller");
  assert.equal((await out(target, "test -d /sys/module/vmxnet3 || echo absent")).trim(), "absent", "no vmxnet3 before its NIC comes");
  const mac = "52:54:00:12:34:99";
  // Its config, set but not applied: the network service applies it when the NIC appears.
  await out(target, `sudo ros config set rancher.network.interfaces.mac=${mac}.address 10.0.9.20/24`);
  // Plugged once udev listens, so its log shows it was the one that loaded the driver.
  await waitForServices(target, ["udev"]);
  await vm.plugDevice(`vmxnet3,id=hotnic,mac=${mac}`);
  const until = Date.now() + 120_000;
  for (;;) {
    const links = await out(target, "cat /sys/class/net/*/address");
    if (links.includes(mac)) break;
    if (Date.now() > until) assert.fail(`the hot-plugged NIC (${mac}) is no link 120 s later; udev: ${await out(target, "sudo ros service logs udev")}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
  assert.equal((await out(target, "test -d /sys/module/vmxnet3 && echo loaded")).trim(), "loaded");
  assert.match(await out(target, "sudo ros service logs udev"), /udev: vmxnet3 for \/devices\/pci/, "udev loaded it, not the kernel on its own");
  const configured = Date.now() + 60_000;
  while (!/inet 10\.0\.9\.20\/24 /.test(await out(target, "ip -o -4 addr"))) {
    if (Date.now() > configured) assert.fail(`the plugged NIC did not get its address 60 s later; network: ${await out(target, "sudo ros service logs network")}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
