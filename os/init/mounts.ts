// The kernel filesystems every later stage needs (the state partition, or a tmpfs for the user
// Docker's data, is state.ts's).
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { paths } from "../paths.ts";

const MOUNTS: [type: string, source: string, target: string, options: string][] = [
  ["proc", "proc", paths.proc, "nosuid,nodev,noexec"],
  ["sysfs", "sysfs", paths.sys, "nosuid,nodev,noexec"],
  ["devtmpfs", "devtmpfs", paths.dev, "mode=0755,nosuid"],
  ["devpts", "devpts", join(paths.dev, "pts"), "gid=5,mode=620,ptmxmode=000"],
  ["tmpfs", "shm", join(paths.dev, "shm"), "mode=1777,nosuid,nodev"],
  ["tmpfs", "tmpfs", paths.run, "mode=0755,nosuid,nodev"],
  ["cgroup2", "cgroup2", join(paths.sys, "fs/cgroup"), "nosuid,nodev,noexec"],
];

function mounted(): Set<string> {
  try {
    return new Set(readFileSync(paths.procMounts, "utf8").split("\n").map((l) => l.split(" ")[1]!).filter(Boolean));
  } catch {
    return new Set();
  }
}

export async function mountFilesystems(): Promise<void> {
  for (const [type, source, target, options] of MOUNTS) {
    if (mounted().has(target)) continue;
    mkdirSync(target, { recursive: true });
    await run("mount", ["-t", type, "-o", options, source, target]);
  }
  // /var/run is /run, as on every modern Linux.
  await run("ln", ["-sfn", "/run", paths.varRun]).catch(() => undefined);
}
