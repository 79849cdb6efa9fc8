// Host-side measurements: a frozen copy of the artifacts under test, their sizes, and how long the
// `ros` CLI takes to start next to a bare node.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DIST } from "../build/cache.ts";
import { ARTIFACTS } from "../build/image.ts";

export interface Snapshot { iso: string; initrd: string; vmlinuz: string; isoKey: string }

const key = (file: string) => (existsSync(`${file}.key`) ? readFileSync(`${file}.key`, "utf8").trim() : "");

/**
 * Copies dist's ISO, kernel and initrd aside: others rebuild dist/ while a run takes minutes, and
 * every boot of one run must use the same bytes. Retries when a rebuild lands during the copy.
 */
export function snapshotArtifacts(dir: string): Snapshot {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = key(ARTIFACTS.iso) + key(ARTIFACTS.initrd);
    const s: Snapshot = { iso: join(dir, "corral.iso"), initrd: join(dir, "initrd"), vmlinuz: join(dir, "vmlinuz"), isoKey: key(ARTIFACTS.iso) };
    copyFileSync(ARTIFACTS.iso, s.iso);
    copyFileSync(ARTIFACTS.initrd, s.initrd);
    copyFileSync(ARTIFACTS.vmlinuz, s.vmlinuz);
    if (key(ARTIFACTS.iso) + key(ARTIFACTS.initrd) === before) return s;
  }
  throw new Error("dist/ kept changing while it was copied; rerun when the build is done");
}

export function currentIsoKey(): string {
  return key(ARTIFACTS.iso);
}

export function sizes(s: Snapshot): Record<string, number> {
  return {
    iso_bytes: statSync(s.iso).size,
    initrd_bytes: statSync(s.initrd).size,
    vmlinuz_bytes: statSync(s.vmlinuz).size,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function timeRun(cmd: string, args: string[]): number {
  const t = performance.now();
  execFileSync(cmd, args, { stdio: "ignore" });
  return performance.now() - t;
}

/** Median wall time of `node dist/ros.mjs --version` and of `node -e 0`, interleaved so drift hits both. */
export function cliLatency(runs = 10): { ros_version_median_ms: number; node_e0_median_ms: number; ratio: number; runs: number } {
  const ros = join(DIST, "ros.mjs");
  if (!existsSync(ros)) throw new Error(`${ros} is missing: run npm run build`);
  // One untimed run each fills the page cache.
  timeRun("node", [ros, "--version"]);
  timeRun("node", ["-e", "0"]);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(timeRun("node", [ros, "--version"]));
    b.push(timeRun("node", ["-e", "0"]));
  }
  const r = median(a);
  const n = median(b);
  return { ros_version_median_ms: +r.toFixed(1), node_e0_median_ms: +n.toFixed(1), ratio: +(r / n).toFixed(2), runs };
}
