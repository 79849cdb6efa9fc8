// Boots a built Corral in QEMU (TCG: nested KVM hangs on these machines) with a datasource disk
// made on the fly and SSH forwarded to a local port. Used by `npm start`, the boot tests and bench.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { run } from "../os/exec.ts";

export const OVMF = "/usr/share/qemu/OVMF.fd";

export type SeedKind = "nocloud" | "configdrive";

/** Writes a datasource disk (ISO 9660) holding `userData` the way NoCloud or a config drive lays it out. */
export async function makeSeed(dir: string, kind: SeedKind, userData: string, instanceId = "corral-vm"): Promise<string> {
  const tree = join(dir, `${kind}-tree`);
  if (kind === "nocloud") {
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, "user-data"), userData);
    writeFileSync(join(tree, "meta-data"), `instance-id: ${instanceId}\n`);
  } else {
    mkdirSync(join(tree, "openstack/latest"), { recursive: true });
    writeFileSync(join(tree, "openstack/latest/user_data"), userData);
    writeFileSync(join(tree, "openstack/latest/meta_data.json"), JSON.stringify({ uuid: instanceId }));
  }
  const out = join(dir, `${kind}.iso`);
  await run("xorriso", ["-as", "mkisofs", "-quiet", "-V", kind === "nocloud" ? "cidata" : "config-2", "-J", "-r", "-o", out, tree]);
  return out;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Booting a kernel and initrd without a bootloader (as the bench's floors boot). */
export interface DirectBoot { kernel: string; initrd: string; append: string }

export interface VmOptions {
  /** What boots: the ISO through its bootloader, or a kernel directly. */
  iso?: string;
  direct?: DirectBoot;
  /**
   * How the ISO is attached: a CD-ROM (as on most VMs and servers) or a virtio disk (as a USB stick
   * would be; the ISO is hybrid). Under TCG, GRUB reads the initrd off a virtio disk ~15 s faster.
   */
  isoAs?: "cdrom" | "disk";
  /** Raw disk images attached as virtio disks (vda, vdb… in this order, before the seed); with no
   * iso and no direct kernel, the firmware boots the first of them. */
  disks?: string[];
  seed?: string;
  sshPort: number;
  /**
   * The guest's LAN, when not one NIC with a DHCP lease from QEMU's default 10.0.2.0/24: `nics`
   * virtio NICs (MACs 52:54:00:12:34:56, …:57, …) on one QEMU hub with user networking on `net`
   * (gateway `host`, DNS `dns`), SSH forwarded to `sshTo`, the address the guest configures itself.
   * Each NIC's QEMU id is nic0, nic1…: `setLink` takes one down.
   */
  lan?: { nics: number; net: string; host: string; dns: string; sshTo: string };
  /**
   * A second NIC (eth1) cabled straight to another guest's: the first guest listens on `port` of
   * the host's loopback, the second connects to it (QEMU's socket netdev), so the two share a wire
   * no other host is on.
   */
  link?: { listen?: number; connect?: number; mac: string };
  uefi?: boolean;
  /** vCPUs (2 by default); guests that run side by side get one each, so no vCPU waits for a core. */
  cpus?: number;
  memoryMb?: number;
  /**
   * A reboot inside the guest resets the machine, as real hardware does (an upgrade, a panic with
   * panic=N, a watchdog). Otherwise QEMU exits on it, so a test sees every reboot as an exit.
   */
  reboot?: boolean;
  /** More hardware, as QEMU's -device specs (`ahci`: a SATA controller). */
  devices?: string[];
  /** "stdio" hands the serial console to the terminal; otherwise it is written to this file. */
  serial: "stdio" | string;
}

function bootMedia(o: VmOptions): string[] {
  if (o.direct) return ["-kernel", o.direct.kernel, "-initrd", o.direct.initrd, "-append", o.direct.append];
  if (!o.iso) {
    if (!o.disks?.length) throw new Error("a VM needs an iso, a disk or a direct kernel boot");
    return [];
  }
  return o.isoAs === "disk"
    ? ["-drive", `file=${o.iso},if=none,id=boot,format=raw,readonly=on`, "-device", "virtio-blk-pci,drive=boot,bootindex=0"]
    : ["-drive", `file=${o.iso},media=cdrom,readonly=on`, "-boot", "d"];
}

function link(o: VmOptions): string[] {
  if (!o.link) return [];
  const end = o.link.listen ? `listen=127.0.0.1:${o.link.listen}` : `connect=127.0.0.1:${o.link.connect}`;
  return ["-netdev", `socket,id=link,${end}`, "-device", `virtio-net-pci,netdev=link,mac=${o.link.mac}`];
}

function network(o: VmOptions): string[] {
  if (!o.lan) return ["-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`, "-device", "virtio-net-pci,netdev=n0", ...link(o)];
  const { nics, net, host, dns, sshTo } = o.lan;
  const args = ["-netdev", `user,id=lan,net=${net},host=${host},dns=${dns},hostfwd=tcp:127.0.0.1:${o.sshPort}-${sshTo}:22`, "-netdev", "hubport,id=lanport,hubid=0,netdev=lan"];
  for (let i = 0; i < nics; i++) {
    args.push("-netdev", `hubport,id=port${i},hubid=0`, "-device", `virtio-net-pci,netdev=port${i},id=nic${i},mac=52:54:00:12:34:${(0x56 + i).toString(16)}`);
  }
  return args;
}

export function qemuArgs(o: VmOptions): string[] {
  return [
    "-accel", "tcg,thread=multi",
    "-smp", String(o.cpus ?? 2),
    "-m", String(o.memoryMb ?? 2048),
    ...(o.uefi ? ["-bios", OVMF] : []),
    ...bootMedia(o),
    ...(o.disks ?? []).flatMap((d) => ["-drive", `file=${d},if=virtio,format=raw`]),
    ...(o.seed ? ["-drive", `file=${o.seed},if=virtio,format=raw,readonly=on`] : []),
    ...network(o),
    ...(o.devices ?? []).flatMap((d) => ["-device", d]),
    ...(o.reboot ? [] : ["-no-reboot"]),
    // The human monitor on a socket beside the serial log: what a test presses (the power button).
    ...(o.serial === "stdio" ? ["-nographic"] : ["-display", "none", "-monitor", `unix:${monitorSocket(o.serial)},server=on,wait=off`, "-serial", `file:${o.serial}`]),
  ];
}

const monitorSocket = (serial: string) => `${serial}.monitor`;

export class Vm {
  readonly process: ChildProcess;
  readonly started = Date.now();
  exited?: number | null;

  constructor(readonly opts: VmOptions) {
    if (opts.uefi && !existsSync(OVMF)) throw new Error(`UEFI boot needs ${OVMF} (apt-get install ovmf)`);
    if (opts.serial !== "stdio") rmSync(opts.serial, { force: true });
    this.process = spawn("qemu-system-x86_64", qemuArgs(opts), { stdio: opts.serial === "stdio" ? "inherit" : ["ignore", "ignore", "pipe"] });
    this.process.on("exit", (code) => (this.exited = code));
  }

  serialLog(): string {
    return this.opts.serial !== "stdio" && existsSync(this.opts.serial) ? readFileSync(this.opts.serial, "latin1") : "";
  }

  /** Waits for the serial console to print a line matching `re`. */
  async waitForSerial(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.serialLog().match(re);
      if (m) return m;
      if (this.exited !== undefined) throw new Error(`QEMU exited (${this.exited}) before ${re}; serial:\n${this.serialLog().slice(-3000)}`);
      if (Date.now() > until) throw new Error(`no ${re} on the serial console after ${timeoutMs / 1000}s; serial:\n${this.serialLog().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Resolves with QEMU's exit code; without a timeout, waits as long as it runs. */
  waitForExit(timeoutMs?: number): Promise<number | null> {
    if (this.exited !== undefined) return Promise.resolve(this.exited);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new Error(`QEMU still running after ${timeoutMs / 1000}s`)), timeoutMs);
      this.process.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Presses the ACPI power button (QEMU's system_powerdown), as a hypervisor's "shut down" does. */
  pressPowerButton(): Promise<void> {
    return this.monitor("system_powerdown");
  }

  /** Unplugs (or plugs back) a NIC's cable: nic0, nic1… of `lan`. */
  setLink(nic: string, up: boolean): Promise<void> {
    return this.monitor(`set_link ${nic} ${up ? "on" : "off"}`);
  }

  /** Plugs a device in while the guest runs (QEMU's device_add), as a hot-plug on a server would. */
  plugDevice(spec: string): Promise<void> {
    return this.monitor(`device_add ${spec}`);
  }

  private monitor(command: string): Promise<void> {
    if (this.opts.serial === "stdio") return Promise.reject(new Error("no monitor socket when the serial console is on stdio"));
    return new Promise((resolve, reject) => {
      const s = connect(monitorSocket(this.opts.serial));
      s.on("error", reject);
      s.on("connect", () => s.end(`${command}\n`, () => resolve()));
    });
  }

  kill(): void {
    if (this.exited === undefined) this.process.kill("SIGKILL");
  }
}
