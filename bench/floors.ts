// The floors Corral is measured against, booted from the same Debian kernel with direct kernel boot:
//   floor 1: busybox only; /init prints a marker and powers off (kernel + initramfs cost).
//   floor 2: busybox + docker.io; /init starts dockerd and runs one container (the least a container
//            OS must do before it is useful).
// Both initrds are packed like build/initrd.ts (newc cpio, legacy lz4) and cached by content.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { basename, join } from "node:path";
import { run } from "../os/exec.ts";
import { resolveDebs, type Deb } from "../build/apt.ts";
import { cacheDir, cached, hash } from "../build/cache.ts";
import { writeDockerArchive } from "../build/docker-archive.ts";
import { installModules, type Kernel } from "../build/kernel.ts";
import { packLayer } from "../build/layer.ts";
import { freePort, qemuArgs } from "../build/vm.ts";
import { Qemu } from "./qemu.ts";
import { guestClockZeroMs, round, SerialWatch } from "./timeline.ts";

// Bump when the way the floors are built changes but their inputs do not.
const FORMAT = "bench-floors-1";
export const FLOOR_APPEND = "console=ttyS0 quiet panic=-1";
const APPLET_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin"];

// The modules Corral's initrd loads for dockerd (images/initrd/image.yml), so floor 2 pays the same.
export const DOCKER_MODULES = ["overlay", "bridge", "veth", "br_netfilter", "nf_tables", "nft_compat", "nft_chain_nat", "xt_MASQUERADE", "xt_conntrack", "xt_addrtype", "iptable_nat", "iptable_filter"];
// Perl comes in through maintainer-script tooling that never runs in an initramfs.
const SKIP = /^(lib)?perl|-perl$/;
// What Corral's initrd trims too: docs and tools dockerd never runs (the CLI stays: /init uses it).
const EXCLUDE = ["usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/locale", "usr/share/zsh", "usr/share/bash-completion", "usr/bin/ctr", "usr/bin/dnet", "usr/sbin/ovrouter", "usr/bin/containerd-shim", "usr/bin/containerd-shim-runc-v1", "etc/init.d", "lib/systemd"];
const FLOOR2_IMAGE = "bench/floor2:1";

const FLOOR1_INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "FLOOR-READY $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
/bin/busybox poweroff -f
`;

// Mirrors what Corral's init does before its first container (os/init/mounts.ts, modules.ts,
// system-docker.ts), in shell; every step prints a marker with the guest uptime.
const FLOOR2_INIT = `#!/bin/busybox sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mark() { echo "FLOOR2-$1 $(cut -d' ' -f1 /proc/uptime)"; }
fail() { echo "FLOOR2-FAIL $1"; tail -n 40 /run/dockerd.log 2>/dev/null; poweroff -f; }
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=000 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
# runc cannot pivot_root out of the initramfs and overlayfs wants a real upper filesystem.
mount -t tmpfs -o mode=0711 tmpfs /var/lib/docker
ln -sfn /run /var/run
mark INIT
# Like os/init/modules.ts: /etc/modules, the build's load order (busybox modprobe ignores softdeps,
# e.g. libcrc32c's on crc32c), and a module that fails does not stop the boot.
modprobe -a $(grep -v '^#' /etc/modules) || echo "FLOOR2-NOTE some modules did not load"
mark MODULES
DOCKER_RAMDISK=true dockerd --bridge=none --iptables=false >/run/dockerd.log 2>&1 &
i=0
until [ -S /run/docker.sock ] && docker version >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -gt 3000 ] && fail dockerd
  sleep 0.1
done
mark DOCKERD
docker load -i /floor2-image.tar >/dev/null || fail load
mark LOADED
docker run --rm --net=host ${FLOOR2_IMAGE} echo FLOOR2-CONTAINER || fail run
mark READY
poweroff -f
`;

async function linkBusyboxApplets(root: string): Promise<void> {
  const { stdout } = await run(join(root, "bin/busybox"), ["--list"]);
  for (const applet of stdout.split("\n").filter(Boolean)) {
    if (APPLET_DIRS.some((d) => existsSync(join(root, d, applet)))) continue;
    symlinkSync("busybox", join(root, "bin", applet));
  }
}

function writeInit(root: string, script: string): void {
  writeFileSync(join(root, "init"), script);
  chmodSync(join(root, "init"), 0o755);
}

/** cpio newc | lz4 -l, as build/initrd.ts packs Corral's initrd. */
async function packInitrd(root: string, out: string): Promise<void> {
  const list = (await run("find", [".", "-mindepth", "1"], { cwd: root })).stdout;
  await run("sh", ["-c", `cpio --quiet -o -H newc -R 0:0 | lz4 -l -q -c > '${out}.tmp' && mv '${out}.tmp' '${out}'`], { cwd: root, input: list });
}

async function buildIn(out: string, fill: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(cacheDir("bench"), "root-"));
  try {
    await fill(root);
    for (const d of ["proc", "sys", "dev", "run", "tmp"]) mkdirSync(join(root, d), { recursive: true });
    await packInitrd(root, out);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const debKey = (debs: Deb[]) => debs.map((d) => basename(d.file));

export async function buildFloor1(): Promise<string> {
  const out = join(cacheDir("bench"), "floor1.initrd");
  const debs = await resolveDebs(["busybox-static"]);
  await cached(out, hash(FORMAT, FLOOR1_INIT, ...debKey(debs)), () =>
    buildIn(out, async (root) => {
      for (const d of debs) await run("dpkg-deb", ["-x", d.file, root]);
      writeInit(root, FLOOR1_INIT);
    }),
  );
  return out;
}

/** A docker-save archive of one image whose only layer is busybox (so `echo` exists). */
async function busyboxImage(busyboxDeb: Deb, out: string): Promise<void> {
  const tmp = mkdtempSync(join(cacheDir("bench"), "image-"));
  try {
    const dir = join(tmp, "rootfs");
    mkdirSync(join(dir, "bin"), { recursive: true });
    const x = join(tmp, "deb");
    await run("dpkg-deb", ["-x", busyboxDeb.file, x]);
    writeFileSync(join(dir, "bin/busybox"), readFileSync(join(x, "bin/busybox")));
    chmodSync(join(dir, "bin/busybox"), 0o755);
    for (const a of ["sh", "echo"]) symlinkSync("busybox", join(dir, "bin", a));
    const layer = join(tmp, "layer.tar");
    const diffId = await packLayer(dir, layer);
    await writeDockerArchive([{ repoTag: FLOOR2_IMAGE, layers: [{ file: layer, diffId, createdBy: "bench: busybox" }], config: { cmd: ["sh"] } }], out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function buildFloor2(kernel: Kernel): Promise<string> {
  const out = join(cacheDir("bench"), "floor2.initrd");
  const debs = (await resolveDebs(["busybox-static", "docker.io"])).filter((d) => !SKIP.test(d.name));
  const busybox = debs.find((d) => d.name === "busybox-static")!;
  await cached(out, hash(FORMAT, FLOOR2_INIT, ...debKey(debs), kernel.version, ...DOCKER_MODULES, ...EXCLUDE), () =>
    buildIn(out, async (root) => {
      for (const d of debs) await run("dpkg-deb", ["-x", d.file, root]);
      for (const p of EXCLUDE) rmSync(join(root, p), { recursive: true, force: true });
      await linkBusyboxApplets(root);
      const order = await installModules(kernel, DOCKER_MODULES, [], root);
      await busyboxImage(busybox, join(root, "floor2-image.tar"));
      mkdirSync(join(root, "etc"), { recursive: true });
      writeFileSync(join(root, "etc/modules"), `${order.join("\n")}\n`);
      writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
      writeFileSync(join(root, "etc/group"), "root:x:0:\ndocker:x:101:\n");
      writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
      writeFileSync(join(root, "etc/resolv.conf"), "");
      for (const d of ["var/lib/docker", "root"]) mkdirSync(join(root, d), { recursive: true });
      writeInit(root, FLOOR2_INIT);
    }),
  );
  return out;
}

export interface FloorMark { name: string; host_ms: number | null; guest_uptime_s: number }

export interface FloorResult {
  initrd_bytes: number;
  error?: string;
  first_serial_byte_ms: number | null;
  kernel_started_ms: number | null;
  guest_clock_zero_ms: number | null;
  /** Marker lines in order (floor 2: INIT, MODULES, DOCKERD, LOADED, READY). */
  marks: FloorMark[];
  container_output_ms?: number | null;
  ready_ms: number | null;
  ready_guest_uptime_s: number | null;
  qemu_exit_ms: number | null;
  qemu_exit_code: number | null;
  serial_log: string;
}

/** Boots `initrd` on `vmlinuz` and times the marker `ready` (a line "<ready> <uptime>"). */
export async function bootFloor(o: { vmlinuz: string; initrd: string; serial: string; ready: string; timeoutMs: number }): Promise<FloorResult> {
  const args = qemuArgs({ sshPort: await freePort(), serial: o.serial, direct: { kernel: o.vmlinuz, initrd: o.initrd, append: FLOOR_APPEND } });
  const q = new Qemu(args, o.serial);
  const w = new SerialWatch(o.serial, () => q.elapsed()).probe("kernel", /^\[\s*0\.0|Linux version/m).start();
  // The last lines and the exit come within milliseconds: read them at the exit, not a poll later.
  q.process.on("exit", () => w.poll());
  const deadline = Date.now() + o.timeoutMs;
  const result: FloorResult = {
    initrd_bytes: statSync(o.initrd).size,
    first_serial_byte_ms: null,
    kernel_started_ms: null,
    guest_clock_zero_ms: null,
    marks: [],
    ready_ms: null,
    ready_guest_uptime_s: null,
    qemu_exit_ms: null,
    qemu_exit_code: null,
    serial_log: o.serial,
  };
  try {
    await w.waitForLine([new RegExp(`^${o.ready} \\d`)], deadline, () => q.running, /^FLOOR2?-FAIL/);
    result.qemu_exit_code = await q.waitExit(Math.max(1000, deadline - Date.now()));
  } catch (e) {
    result.error = `${(e as Error).message}\n--- serial (${o.serial}) ---\n${w.tail()}${q.stderrTail ? `\n--- qemu stderr ---\n${q.stderrTail}` : ""}`;
  } finally {
    q.kill();
    w.stop();
  }
  for (const { text, ms } of w.lines) {
    const m = /^(FLOOR2?-[A-Z]+) (\d+\.\d+)\s*$/.exec(text);
    if (m) result.marks.push({ name: m[1]!, host_ms: round(ms), guest_uptime_s: Number(m[2]) });
  }
  const ready = result.marks.find((m) => m.name === o.ready);
  const container = w.find(/^FLOOR2-CONTAINER\s*$/);
  if (container) result.container_output_ms = round(container.line.ms);
  result.first_serial_byte_ms = round(w.firstByteMs);
  result.kernel_started_ms = round(w.seen("kernel"));
  result.guest_clock_zero_ms = round(guestClockZeroMs(result.marks.map((m) => ({ ms: m.host_ms!, uptimeS: m.guest_uptime_s }))));
  result.ready_ms = ready?.host_ms ?? null;
  result.ready_guest_uptime_s = ready?.guest_uptime_s ?? null;
  result.qemu_exit_ms = round(q.exitMs);
  if (q.exitCode !== undefined && result.qemu_exit_code === null) result.qemu_exit_code = q.exitCode;
  return result;
}
