// The kernel filesystems every later stage needs, plus tmpfs for the state Docker keeps.
import { mkdirSync, readFileSync } from "node:fs";
import { run } from "../exec.ts";
import { paths } from "../paths.ts";

const MOUNTS: [type: string, source: string, target: string, options: string][] = [
  ["proc", "proc", "/proc", "nosuid,nodev,noexec"],
  ["sysfs", "sysfs", "/sys", "nosuid,nodev,noexec"],
  ["devtmpfs", "devtmpfs", "/dev", "mode=0755,nosuid"],
  ["devpts", "devpts", "/dev/pts", "gid=5,mode=620,ptmxmode=000"],
  ["tmpfs", "shm", "/dev/shm", "mode=1777,nosuid,nodev"],
  ["tmpfs", "tmpfs", "/run", "mode=0755,nosuid,nodev"],
  ["cgroup2", "cgroup2", "/sys/fs/cgroup", "nosuid,nodev,noexec"],
  // runc cannot pivot_root out of the initramfs and overlayfs wants a real upper filesystem.
  ["tmpfs", "tmpfs", paths.systemDockerRoot, "mode=0711"],
];

function mounted(): Set<string> {
  try {
    return new Set(readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1]!).filter(Boolean));
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
  await run("ln", ["-sfn", "/run", "/var/run"]).catch(() => undefined);
}
