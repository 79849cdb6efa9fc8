// One Corral boot, timed from the host: through GRUB on the ISO (as users boot it) or with direct
// kernel boot (as the floors boot), logged in over SSH with a key from a NoCloud disk, then powered off.
import { KERNEL_CMDLINE } from "../build/iso.ts";
import { freePort, qemuArgs } from "../build/vm.ts";
import { rootfsTar } from "../test/fixtures/busybox-image.ts";
import { ssh, type SshTarget } from "../test/boot/ssh.ts";
import { Qemu } from "./qemu.ts";
import { guestClockZeroMs, round, SerialWatch } from "./timeline.ts";

export type CorralMode = "iso" | "direct";

export interface Stage { name: string; host_ms: number | null; guest_uptime_s: number; took_ms: number }

export interface CorralResult {
  mode: CorralMode;
  error?: string;
  first_serial_byte_ms: number | null;
  grub_menu_ms: number | null;
  /** Seen only if the kernel prints to the console; KERNEL_CMDLINE has `quiet`, so usually null. */
  kernel_started_ms: number | null;
  /** Host ms at guest uptime 0, from the init lines' uptimes (the best stand-in for "kernel started"). */
  guest_clock_zero_ms: number | null;
  init_starting_ms: number | null;
  /** Guest uptime when ros init printed its first line: the kernel and node start before it. */
  init_starting_guest_uptime_s: number | null;
  stages: Stage[];
  boot_complete_ms: number | null;
  boot_complete_guest_uptime_s: number | null;
  ssh_ready_ms: number | null;
  /** `ros analyze boot`'s user-docker ready milestone, on the host's clock. */
  user_docker_ready_ms: number | null;
  user_docker_ready_guest_uptime_s: number | null;
  /** What `ros analyze boot -o json` said in the guest: stages, services, milestones. */
  analyze_rows: { what: string; start: number; end: number; kind: string }[] | null;
  /** Image loads and imports this boot, from each Docker's events (the store comes ready-made: goal 0). */
  images_loaded: { system_docker: number | null; user_docker: number | null };
  /** Entries of the system Docker's store copied to the state disk at this boot (first boot only). */
  store_entries_copied: number;
  /** A user container, imported from a busybox tar, ran and printed what it was told. */
  user_container_ran: boolean | null;
  guest_mem_mb: Record<string, number> | null;
  node_rss_kb: { pid: number; rss_kb: number; args: string }[];
  node_rss_total_kb: number | null;
  poweroff_requested_ms: number | null;
  qemu_exit_ms: number | null;
  qemu_exit_code: number | null;
  serial_log: string;
}

export interface CorralBoot {
  mode: CorralMode;
  iso: string;
  vmlinuz: string;
  initrd: string;
  seed: string;
  key: string;
  serial: string;
  timeoutMs: number;
  memoryMb?: number;
  /** Raw disks (vda, vdb…), e.g. a state disk kept from one boot to the next. */
  disks?: string[];
  /** Added to the kernel command line (direct boot only). */
  append?: string;
  /** Also run a user container before powering off. */
  userContainer?: boolean;
}

const SSH_POLL_MS = 500;
const POWEROFF_TIMEOUT_MS = 120_000;
const INIT_LINE = /\[\s*(\d+\.\d+)\] init: (.*)$/;
// init's state stage, when it seeds a state disk with the initrd's store (os/init/state.ts).
const STORE_COPIED = /state: the system Docker's images of \S+ are on \S+ now \((\d+) entries/;

/** Image loads, imports and pulls in one Docker's event log since it started (null: not asked). */
async function imageLoads(t: SshTarget, cli: "system-docker" | "docker"): Promise<number | null> {
  const r = await ssh(t, `sudo ${cli} events --since 0 --until "$(date +%s)" --filter type=image --format '{{.Action}}'`);
  if (r.code !== 0) return null;
  return r.stdout.split("\n").filter((a) => /^(load|import|pull)$/.test(a.trim())).length;
}

async function analyzeRows(t: SshTarget): Promise<CorralResult["analyze_rows"]> {
  const r = await ssh(t, "sudo ros analyze boot -o json");
  return r.code === 0 ? (JSON.parse(r.stdout) as { rows: NonNullable<CorralResult["analyze_rows"]> }).rows : null;
}

/** The smallest thing a user does with the host: import an image and run a container of it. */
async function runUserContainer(t: SshTarget): Promise<boolean> {
  const imported = await ssh(t, "sudo docker import - bench/bb:1", undefined, await rootfsTar());
  if (imported.code !== 0) return false;
  const r = await ssh(t, "sudo docker run --rm bench/bb:1 echo corral-bench-ran");
  return r.code === 0 && r.stdout.includes("corral-bench-ran");
}

/**
 * The first moment a key login runs `true` (what test/boot/ssh.ts waitForSsh waits for), polled
 * every 500 ms instead of every 2 s so the time is not rounded up by seconds.
 */
async function waitForLogin(t: SshTarget, q: Qemu, deadline: number): Promise<number> {
  let last = "";
  while (Date.now() < deadline && q.running) {
    const r = await ssh(t, "true");
    if (r.code === 0) return q.elapsed();
    last = r.stderr.trim();
    await new Promise((res) => setTimeout(res, SSH_POLL_MS));
  }
  throw new Error(`no SSH login${q.running ? " in time" : " before QEMU exited"}: ${last}`);
}

function parseFree(out: string): Record<string, number> | null {
  const lines = out.split("\n");
  const head = lines[0]?.trim().split(/\s+/);
  const mem = lines.find((l) => l.startsWith("Mem:"))?.trim().split(/\s+/).slice(1);
  if (!head || !mem) return null;
  return Object.fromEntries(head.map((h, i) => [`${h.replace("/", "_")}`, Number(mem[i])]));
}

function parsePs(out: string): CorralResult["node_rss_kb"] {
  return out
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), rss_kb: Number(m[2]), args: m[3]! }));
}

export async function bootCorral(o: CorralBoot): Promise<CorralResult> {
  const port = await freePort();
  const base = { seed: o.seed, sshPort: port, serial: o.serial, memoryMb: o.memoryMb, disks: o.disks };
  const append = o.append ? `${KERNEL_CMDLINE} ${o.append}` : KERNEL_CMDLINE;
  const args = qemuArgs(o.mode === "iso" ? { ...base, iso: o.iso } : { ...base, direct: { kernel: o.vmlinuz, initrd: o.initrd, append } });
  const q = new Qemu(args, o.serial);
  const w = new SerialWatch(o.serial, () => q.elapsed())
    .probe("grub", /GNU GRUB/)
    .probe("kernel", /^\[\s*0\.0|Linux version/m)
    .start();
  q.process.on("exit", () => w.poll());
  const deadline = Date.now() + o.timeoutMs;
  const alive = () => q.running;
  const fatal = /init: FATAL|Kernel panic/;
  const target: SshTarget = { port, key: o.key };
  const r: CorralResult = {
    mode: o.mode,
    first_serial_byte_ms: null,
    grub_menu_ms: null,
    kernel_started_ms: null,
    guest_clock_zero_ms: null,
    init_starting_ms: null,
    init_starting_guest_uptime_s: null,
    stages: [],
    boot_complete_ms: null,
    boot_complete_guest_uptime_s: null,
    ssh_ready_ms: null,
    user_docker_ready_ms: null,
    user_docker_ready_guest_uptime_s: null,
    analyze_rows: null,
    images_loaded: { system_docker: null, user_docker: null },
    store_entries_copied: 0,
    user_container_ran: null,
    guest_mem_mb: null,
    node_rss_kb: [],
    node_rss_total_kb: null,
    poweroff_requested_ms: null,
    qemu_exit_ms: null,
    qemu_exit_code: null,
    serial_log: o.serial,
  };
  try {
    // sshd runs in a system container, so no login can work before system Docker is up; not
    // trying earlier keeps failed ssh attempts from taking host CPU from the guest's early boot.
    await w.waitForLine([/init: system-docker done/, /init: boot complete/], deadline, alive, fatal);
    r.ssh_ready_ms = round(await waitForLogin(target, q, deadline));
    await w.waitForLine([/init: boot complete/], deadline, alive, fatal);

    const free = await ssh(target, "free -m");
    r.guest_mem_mb = free.code === 0 ? parseFree(free.stdout) : null;
    // The console shares the host's PID namespace (pid: host), so ps sees init's node too; the
    // services run node as /usr/bin/ros, which ps names ros.
    const ps = await ssh(target, "ps -o pid=,rss=,args= -C node,ros");
    r.node_rss_kb = parsePs(ps.stdout);
    r.node_rss_total_kb = r.node_rss_kb.length ? r.node_rss_kb.reduce((s, p) => s + p.rss_kb, 0) : null;
    r.images_loaded = { system_docker: await imageLoads(target, "system-docker"), user_docker: await imageLoads(target, "docker") };
    r.analyze_rows = await analyzeRows(target);
    r.user_docker_ready_guest_uptime_s = r.analyze_rows?.find((x) => x.what === "user-docker ready")?.start ?? null;
    if (o.userContainer) r.user_container_ran = await runUserContainer(target);

    r.poweroff_requested_ms = round(q.elapsed());
    // The connection drops as the guest goes down; QEMU's exit is what counts.
    const off = ssh(target, "sudo poweroff");
    r.qemu_exit_code = await q.waitExit(Math.min(POWEROFF_TIMEOUT_MS, Math.max(1000, deadline - Date.now())));
    await off;
  } catch (e) {
    r.error = `${(e as Error).message}\n--- serial (${o.serial}) ---\n${w.tail()}${q.stderrTail ? `\n--- qemu stderr ---\n${q.stderrTail}` : ""}`;
  } finally {
    q.kill();
    w.stop();
  }

  r.first_serial_byte_ms = round(w.firstByteMs);
  r.grub_menu_ms = round(w.seen("grub"));
  r.kernel_started_ms = round(w.seen("kernel"));
  const uptimes: { ms: number; uptimeS: number }[] = [];
  for (const { text, ms } of w.lines) {
    const m = INIT_LINE.exec(text);
    if (!m) continue;
    const up = Number(m[1]);
    const msg = m[2]!;
    if (msg === "starting") {
      if (r.init_starting_ms === null) {
        r.init_starting_ms = round(ms);
        r.init_starting_guest_uptime_s = up;
      }
    }
    uptimes.push({ ms, uptimeS: up });
    const stage = /^(\S+) done \((\d+) ms\)$/.exec(msg);
    if (stage && !r.stages.some((s) => s.name === stage[1])) r.stages.push({ name: stage[1]!, host_ms: round(ms), guest_uptime_s: up, took_ms: Number(stage[2]) });
    if (msg === "boot complete" && r.boot_complete_ms === null) {
      r.boot_complete_ms = round(ms);
      r.boot_complete_guest_uptime_s = up;
    }
  }
  r.guest_clock_zero_ms = round(guestClockZeroMs(uptimes));
  if (r.guest_clock_zero_ms !== null && r.user_docker_ready_guest_uptime_s !== null) r.user_docker_ready_ms = round(r.guest_clock_zero_ms + r.user_docker_ready_guest_uptime_s * 1000);
  r.store_entries_copied = w.lines.reduce((n, l) => n + Number(STORE_COPIED.exec(l.text)?.[1] ?? 0), 0);
  r.qemu_exit_ms = round(q.exitMs);
  if (r.qemu_exit_code === null && q.exitCode !== undefined) r.qemu_exit_code = q.exitCode;
  return r;
}
