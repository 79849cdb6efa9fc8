// `npm run bench:config`: how fast `ros config` answers on the host, against the floor of starting
// node at all, and how fast the config engine validates. Prints one JSON line per measurement and
// writes them all to dist/bench-config.json. Numbers, not pass/fail.
//   npm run bench:config             15 runs of each command
//   npm run bench:config -- 40       40 runs of each
import { execFileSync } from "node:child_process";
import { cpus, tmpdir } from "node:os";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { BUNDLE, bundle, version } from "../build/bundle.ts";
import { DIST, REPO } from "../build/cache.ts";
import { errorsIn } from "../cloud-config/diagnostics.ts";
import { validateText } from "../cloud-config/validate.ts";

const VALIDATE_LINES = 1000;

export type Emit = (section: string, data: Record<string, unknown>) => void;

const note = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const ms = (x: number) => +x.toFixed(1);
const ratio = (a: number, b: number) => +(a / b).toFixed(2);

/** A host tree as a booted Corral has it: image defaults, boot.yml from a datasource, the user's file, a command line. */
function realisticRoot(dir: string): void {
  const put = (rel: string, text: string) => {
    const f = join(dir, rel);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, text);
  };
  const osConfig = join(DIST, "os-config.yml");
  put("usr/share/ros/os-config.yml", existsSync(osConfig) ? readFileSync(osConfig, "utf8") : readFileSync(join(REPO, "os/os-config.yml"), "utf8"));
  put(
    "var/lib/rancher/conf/cloud-config.d/boot.yml",
    `#cloud-config
hostname: corral-bench
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKeyOnlyxxxxxxxxxxxxxxxxxxxxxxxxxxxx ops@example
write_files:
  - path: /etc/motd
    permissions: "0644"
    owner: root
    content: |
      Welcome to corral-bench
runcmd:
  - echo booted > /var/log/first-boot
`,
  );
  put(
    "var/lib/rancher/conf/cloud-config.yml",
    `#cloud-config
rancher:
  network:
    dns:
      nameservers: [10.0.0.2, 10.0.0.3]
      search: [lab.example]
    interfaces:
      eth0:
        address: 10.0.0.20/24
        gateway: 10.0.0.1
        mtu: 1500
  environment:
    LOG_LEVEL: info
    HTTP_PROXY: http://proxy.lab.example:3128
  sysctl:
    vm.max_map_count: 262144
    net.core.somaxconn: 1024
  docker:
    ca_key: not-a-real-key
`,
  );
  put("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz console=ttyS0 quiet rancher.debug=false\n");
}

/** A valid config of exactly `lines` lines, mixing the shapes real configs have. */
export function generatedConfig(lines: number): string {
  const head = ["#cloud-config", "hostname: corral-gen", "ssh_authorized_keys:", "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGenKeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx a@b"];
  const out = [...head, "write_files:"];
  for (let i = 0; i < 40; i++) out.push(`  - path: /etc/gen/file-${i}.conf`, '    permissions: "0644"', "    owner: root:root", "    content: |", `      key${i} = value${i}`);
  out.push("runcmd:");
  for (let i = 0; i < 40; i++) out.push(`  - [sh, -c, "echo step ${i} >> /var/log/gen"]`);
  out.push("rancher:", "  network:", "    dns:", "      nameservers: [10.0.0.2, 10.0.0.3]", "    interfaces:");
  for (let i = 0; i < 30; i++) out.push(`      eth${i}:`, `        address: 10.${i}.0.20/24`, "        mtu: 1500");
  out.push("  sysctl:");
  for (let i = 0; i < 50; i++) out.push(`    net.gen.key_${i}: ${i}`);
  out.push("  environment:");
  for (let i = 0; out.length < lines; i++) out.push(`    GEN_VAR_${i}: value-${i}`);
  return `${out.slice(0, lines).join("\n")}\n`;
}

function timeRun(args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  execFileSync(process.execPath, args, { stdio: "ignore", env });
  return performance.now() - t;
}

/** Median wall time of each command, run interleaved so drift hits all of them alike; one untimed run each first. */
function cliTimes(cmds: Record<string, string[]>, runs: number, env: NodeJS.ProcessEnv): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (const args of Object.values(cmds)) timeRun(args, env);
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cmds)) times[name]!.push(timeRun(args, env));
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/**
 * Times the CLI (node -e 0 as the floor, ros --version, ros config get on a realistic tree) and
 * in-process validation, emitting the sections floor, ros_version, config_get and validate.
 * bench/boot.ts can call this too, to carry these numbers in dist/bench.json.
 */
export async function configBench(runs: number, emit: Emit): Promise<void> {
  if (!existsSync(BUNDLE)) {
    note(`${BUNDLE} is missing: building it`);
    await bundle();
  }
  const root = mkdtempSync(join(tmpdir(), "corral-bench-config-"));
  try {
    realisticRoot(root);
    const env = { ...process.env, ROS_ROOT: root };
    const check = execFileSync(process.execPath, [BUNDLE, "config", "get", "hostname"], { env, encoding: "utf8" }).trim();
    if (check !== "corral-bench") throw new Error(`ros config get hostname answered "${check}" on the bench tree`);

    note(`timing node -e 0, ros --version and ros config get hostname (${runs} runs each, interleaved)`);
    const t = cliTimes(
      {
        node_e0: ["-e", "0"],
        ros_version: [BUNDLE, "--version"],
        config_get: [BUNDLE, "config", "get", "hostname"],
      },
      runs,
      env,
    );
    emit("floor", { what: "node -e 0", median_ms: ms(t.node_e0!), runs });
    emit("ros_version", { what: "node dist/ros.mjs --version", median_ms: ms(t.ros_version!), over_floor: ratio(t.ros_version!, t.node_e0!), above_floor_ms: ms(t.ros_version! - t.node_e0!), runs });
    emit("config_get", {
      what: "node dist/ros.mjs config get hostname (os-config.yml, boot.yml, cloud-config.yml, /proc/cmdline)",
      median_ms: ms(t.config_get!),
      over_floor: ratio(t.config_get!, t.node_e0!),
      above_floor_ms: ms(t.config_get! - t.node_e0!),
      over_ros_version: ratio(t.config_get!, t.ros_version!),
      runs,
    });

    note(`validating a generated ${VALIDATE_LINES}-line config in-process`);
    const text = generatedConfig(VALIDATE_LINES);
    const lines = text.split("\n").length - 1;
    const first = validateText(text, "generated.yml");
    const errors = errorsIn(first.diagnostics);
    if (first.config === undefined || errors.length) throw new Error(`the generated config does not validate: ${JSON.stringify(errors[0] ?? first.diagnostics[0])}`);
    // Warm the JIT, then time.
    for (let i = 0; i < 3; i++) validateText(text, "generated.yml");
    const vt: number[] = [];
    const vruns = Math.max(runs, 20);
    for (let i = 0; i < vruns; i++) {
      const t0 = performance.now();
      validateText(text, "generated.yml");
      vt.push(performance.now() - t0);
    }
    const vm = median(vt);
    emit("validate", {
      what: `validateText on a generated ${lines}-line config, in-process`,
      lines,
      bytes: Buffer.byteLength(text),
      runs: vruns,
      median_ms: +vm.toFixed(2),
      min_ms: +Math.min(...vt).toFixed(2),
      lines_per_s: Math.round(lines / (vm / 1000)),
      warnings: first.diagnostics.length,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const runs = Number(process.argv[2] ?? 15);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`usage: tsx bench/config.ts [runs]  (runs: a positive integer, not ${process.argv[2]})`);
    return 2;
  }
  const report: Record<string, unknown> = {};
  const emit: Emit = (section, data) => {
    report[section] = data;
    console.log(JSON.stringify({ section, ...data }));
  };
  emit("meta", {
    date: new Date().toISOString(),
    corral_version: version(),
    node: process.version,
    host_cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? null,
    runs,
    ...(existsSync(BUNDLE) ? { bundle_bytes: statSync(BUNDLE).size, bundle_mtime: statSync(BUNDLE).mtime.toISOString() } : {}),
  });
  await configBench(runs, emit);
  const out = join(DIST, "bench-config.json");
  mkdirSync(DIST, { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  note(`wrote ${out}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
