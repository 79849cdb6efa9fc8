// `npm run bench`: how big Corral is and how long it takes to boot, against two floors booted from
// the same kernel with the same QEMU settings. Prints one JSON line per measurement and writes them
// all to dist/bench.json. Numbers, not pass/fail.
//   npm run bench                      everything
//   npm run bench -- floor1 corral-iso only the named boots (floor1 floor2 corral-direct corral-iso
//                                      corral-state min-ram)
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { version } from "../build/bundle.ts";
import { cacheDir, DIST } from "../build/cache.ts";
import { ARTIFACTS } from "../build/image.ts";
import { fetchKernel } from "../build/kernel.ts";
import { makeSeed, qemuArgs } from "../build/vm.ts";
import { configBench } from "./config.ts";
import { bootCorral, type CorralResult } from "./corral.ts";
import { bootFloor, buildFloor1, buildFloor2, type FloorResult } from "./floors.ts";
import { cliLatency, currentIsoKey, sizes, snapshotArtifacts } from "./host.ts";
import { minRam } from "./min-ram.ts";
import { benchTable } from "./table.ts";

const BOOT_TIMEOUT_MS = 10 * 60_000;
const BOOTS = ["floor1", "floor2", "corral-direct", "corral-iso", "corral-state", "min-ram"] as const;
// A guest that cannot boot in this little RAM often hangs rather than fails: give up sooner.
const RAM_PROBE_TIMEOUT_MS = 5 * 60_000;
const RAM_LOW_MB = 128;
const RAM_HIGH_MB = 1024;
const RAM_STEP_MB = 64;
type BootName = (typeof BOOTS)[number];

const report: Record<string, unknown> = {};

function emit(section: string, data: Record<string, unknown>): void {
  report[section] = data;
  console.log(JSON.stringify({ section, ...data }));
}

const note = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

function qemuSettings(): Record<string, string> {
  const a = qemuArgs({ iso: "x", sshPort: 0, serial: "x" });
  const opt = (k: string) => a[a.indexOf(k) + 1] ?? "";
  return { accel: opt("-accel"), smp: opt("-smp"), memory_mb: opt("-m") };
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? +(a / b).toFixed(2) : null);

function short(r: CorralResult | FloorResult): Record<string, unknown> {
  // The error carries a serial tail; the JSON line keeps it, the terminal gets the first line.
  if (r.error) note(`  failed: ${r.error.split("\n")[0]} (serial: ${r.serial_log})`);
  return r as unknown as Record<string, unknown>;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !(BOOTS as readonly string[]).includes(a));
  if (unknown.length) {
    console.error(`unknown boot(s): ${unknown.join(", ")}; choose from ${BOOTS.join(", ")}`);
    return 2;
  }
  const want = (b: BootName) => args.length === 0 || args.includes(b);
  for (const f of [ARTIFACTS.iso, ARTIFACTS.initrd, ARTIFACTS.vmlinuz]) {
    if (!existsSync(f)) {
      console.error(`${f} is missing: run npm run build:image first`);
      return 1;
    }
  }

  const runDir = cacheDir("bench", "last");
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const snapDir = join(runDir, "artifacts");
  mkdirSync(snapDir);
  note(`copying dist/ artifacts to ${snapDir}`);
  const snap = snapshotArtifacts(snapDir);
  try {
    const kernel = await fetchKernel();
    emit("meta", {
      date: new Date().toISOString(),
      corral_version: version(),
      corral_iso_key: snap.isoKey,
      kernel: kernel.version,
      host_cpus: cpus().length,
      qemu: execFileSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" }).split("\n")[0],
      qemu_settings: qemuSettings(),
      boot_timeout_ms: BOOT_TIMEOUT_MS,
      serial_logs: runDir,
    });

    note("building floor initrds (cached)");
    const floor1 = await buildFloor1();
    const floor2 = await buildFloor2(kernel);
    emit("sizes", { ...sizes(snap), floor1_initrd_bytes: statSync(floor1).size, floor2_initrd_bytes: statSync(floor2).size });

    note("timing the ros CLI on the host");
    emit("ros_cli", cliLatency(10));
    note("timing ros config on the host");
    await configBench(10, (step, data) => emit(`ros_config_${step}`, data));

    let failed = false;
    const boots: Partial<Record<BootName, CorralResult | FloorResult>> = {};
    const record = (name: BootName, r: CorralResult | FloorResult) => {
      boots[name] = r;
      failed ||= r.error !== undefined;
      emit(name.replace("-", "_"), short(r));
    };

    if (want("floor1")) {
      note("booting floor 1 (busybox initrd, direct kernel boot)");
      record("floor1", await bootFloor({ vmlinuz: kernel.vmlinuz, initrd: floor1, serial: join(runDir, "floor1.serial.log"), ready: "FLOOR-READY", timeoutMs: BOOT_TIMEOUT_MS }));
    }
    if (want("floor2")) {
      note("booting floor 2 (dockerd + one container, direct kernel boot)");
      record("floor2", await bootFloor({ vmlinuz: kernel.vmlinuz, initrd: floor2, serial: join(runDir, "floor2.serial.log"), ready: "FLOOR2-READY", timeoutMs: BOOT_TIMEOUT_MS }));
    }

    if ((["corral-direct", "corral-iso", "corral-state", "min-ram"] as const).some(want)) {
      const key = join(runDir, "id_ed25519");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "corral-bench", "-f", key]);
      const pub = readFileSync(`${key}.pub`, "utf8").trim();
      const seed = await makeSeed(runDir, "nocloud", `#cloud-config\nhostname: corral-bench\nssh_authorized_keys:\n  - ${pub}\n`);
      const common = { iso: snap.iso, vmlinuz: snap.vmlinuz, initrd: snap.initrd, seed, key, timeoutMs: BOOT_TIMEOUT_MS };
      if (want("corral-direct")) {
        note("booting Corral (direct kernel boot: dist/vmlinuz + dist/initrd)");
        record("corral-direct", await bootCorral({ ...common, mode: "direct", serial: join(runDir, "corral-direct.serial.log") }));
      }
      if (want("corral-iso")) {
        note("booting Corral (dist/corral.iso through GRUB, BIOS)");
        record("corral-iso", await bootCorral({ ...common, mode: "iso", serial: join(runDir, "corral-iso.serial.log") }));
      }
      if (want("corral-state")) {
        // The same state disk twice: the first boot formats it and seeds the store, the second
        // should find everything in place.
        const disk = join(runDir, "state.img");
        writeFileSync(disk, "");
        truncateSync(disk, 2 * 2 ** 30);
        const state = { ...common, mode: "direct" as const, disks: [disk], append: "rancher.state.autoformat=[/dev/vda]" };
        for (const n of ["first", "second"] as const) {
          note(`booting Corral with a state disk, ${n} boot`);
          const r = await bootCorral({ ...state, serial: join(runDir, `corral-state-${n}.serial.log`) });
          failed ||= r.error !== undefined;
          emit(`corral_state_${n}_boot`, short(r));
        }
      }
      if (want("min-ram")) {
        note(`finding the smallest RAM that boots and runs a user container (${RAM_LOW_MB}-${RAM_HIGH_MB} MB in ${RAM_STEP_MB} MB steps)`);
        const found = await minRam(
          async (mb) => {
            note(`  -m ${mb}`);
            const r = await bootCorral({ ...common, mode: "direct", memoryMb: mb, userContainer: true, timeoutMs: RAM_PROBE_TIMEOUT_MS, serial: join(runDir, `corral-ram-${mb}.serial.log`) });
            const ok = r.error === undefined && r.user_container_ran === true;
            return { mb, ok, ...(ok ? {} : { error: (r.error ?? "the user container did not run").split("\n")[0] }) };
          },
          RAM_LOW_MB,
          RAM_HIGH_MB,
          RAM_STEP_MB,
        );
        emit("min_ram", { ...found });
      }
    }

    const f1 = (boots.floor1 as FloorResult | undefined)?.ready_ms;
    const f2 = (boots.floor2 as FloorResult | undefined)?.ready_ms;
    const cd = boots["corral-direct"] as CorralResult | undefined;
    const ci = boots["corral-iso"] as CorralResult | undefined;
    emit("ratios", {
      // Like with like: every boot below except corral_iso_* uses direct kernel boot.
      corral_direct_ssh_ready_over_floor2: ratio(cd?.ssh_ready_ms, f2),
      corral_direct_boot_complete_over_floor2: ratio(cd?.boot_complete_ms, f2),
      corral_direct_ssh_ready_over_floor1: ratio(cd?.ssh_ready_ms, f1),
      corral_direct_boot_complete_over_floor1: ratio(cd?.boot_complete_ms, f1),
      floor2_over_floor1: ratio(f2, f1),
      corral_iso_ssh_ready_over_floor2: ratio(ci?.ssh_ready_ms, f2),
      corral_iso_boot_complete_over_floor2: ratio(ci?.boot_complete_ms, f2),
      corral_iso_over_direct_ssh_ready: ratio(ci?.ssh_ready_ms, cd?.ssh_ready_ms),
      corral_direct_user_docker_ready_over_floor2: ratio(cd?.user_docker_ready_ms, f2),
      corral_direct_user_docker_ready_over_floor1: ratio(cd?.user_docker_ready_ms, f1),
      corral_iso_ssh_ready_over_floor1: ratio(ci?.ssh_ready_ms, f1),
      corral_iso_user_docker_ready_over_floor2: ratio(ci?.user_docker_ready_ms, f2),
      corral_iso_user_docker_ready_over_floor1: ratio(ci?.user_docker_ready_ms, f1),
      ros_cli_over_node: (report.ros_cli as { ratio: number }).ratio,
      ros_config_get_over_node: (report.ros_config_config_get as { over_floor: number }).over_floor,
    });

    const rebuilt = currentIsoKey() !== snap.isoKey;
    if (rebuilt) note("dist/corral.iso was rebuilt during the run: these numbers are for the copy taken at the start");
    report.dist_rebuilt_during_run = rebuilt;
    writeFileSync(join(DIST, "bench.json"), JSON.stringify(report, null, 2) + "\n");
    const table = benchTable(report);
    writeFileSync(join(DIST, "bench.md"), table);
    process.stderr.write(`\n${table}`);
    note(`wrote ${join(DIST, "bench.json")}${failed ? " (some boots failed: see their error fields)" : ""}`);
    return failed ? 1 : 0;
  } finally {
    // The copies are as big as dist/; the serial logs and key stay for a look after the run.
    rmSync(snapDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
