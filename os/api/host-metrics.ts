// What the host is using, for a management layer to show the cluster: CPU (busy share over a short
// sample, load, cores), memory (from meminfo), the filesystems Corral keeps data on, and each
// container of both Dockers (CPU share and memory from Docker's own stats). A Docker that does not
// answer is reported as such; the host's numbers still come.
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { dockerMessage } from "../services/docker-errors.ts";
import { paths, ROS_ROOT } from "../paths.ts";

const CPU_SAMPLE_MS = 250;

/** Busy and total jiffies of all CPUs, from /proc/stat's first line. */
function cpuTimes(): { busy: number; total: number; cores: number } {
  const lines = readFileSync(join(paths.proc, "stat"), "utf8").split("\n");
  const f = lines[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, cores: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

function memory(): { totalBytes: number; availableBytes: number; usedBytes: number } {
  const kb = Object.fromEntries(readFileSync(join(paths.proc, "meminfo"), "utf8").split("\n").map((l) => /^(\w+):\s+(\d+)/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, Number(m[2]) * 1024]));
  const total = kb.MemTotal ?? 0;
  const available = kb.MemAvailable ?? kb.MemFree ?? 0;
  return { totalBytes: total, availableBytes: available, usedBytes: total - available };
}

function disks(): { path: string; totalBytes: number; freeBytes: number; usedBytes: number }[] {
  return [ROS_ROOT, paths.stateMount, paths.userDockerRoot, paths.systemDockerRoot].filter((p, i, all) => all.indexOf(p) === i && existsSync(p)).map((path) => {
    const s = statfsSync(path);
    const total = s.blocks * s.bsize;
    return { path, totalBytes: total, freeBytes: s.bavail * s.bsize, usedBytes: total - s.bfree * s.bsize };
  });
}

interface Stats { cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number }; precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number }; memory_stats: { usage?: number; limit?: number; stats?: { cache?: number; inactive_file?: number } } }

async function containers(docker: Docker, which: string) {
  const list = await docker.listContainers();
  return Promise.all(list.map(async (c) => {
    const s = (await docker.getContainer(c.Id).stats({ stream: false })) as unknown as Stats;
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
    const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
    // The page cache Docker counts in usage is not the container's own memory.
    const cache = s.memory_stats.stats?.inactive_file ?? s.memory_stats.stats?.cache ?? 0;
    return {
      docker: which,
      id: c.Id.slice(0, 12),
      name: c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12),
      image: c.Image,
      cpuPercent: sysDelta > 0 ? Math.round((cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 1) * 10000) / 100 : 0,
      memoryBytes: Math.max(0, (s.memory_stats.usage ?? 0) - cache),
      memoryLimitBytes: s.memory_stats.limit ?? null,
    };
  }));
}

export async function hostMetrics(dockers: { name: string; docker: () => Promise<Docker> }[]) {
  const a = cpuTimes();
  const sampled = Promise.all(dockers.map(async (d) => {
    try {
      return { rows: await containers(await d.docker(), d.name) };
    } catch (e) {
      return { error: `${d.name} Docker: ${dockerMessage(e)}` };
    }
  }));
  await new Promise((r) => setTimeout(r, CPU_SAMPLE_MS));
  const b = cpuTimes();
  const results = await sampled;
  const [one, five, fifteen] = readFileSync(join(paths.proc, "loadavg"), "utf8").split(" ").map(Number);
  return {
    time: new Date().toISOString(),
    cpu: { cores: b.cores, busyPercent: b.total > a.total ? Math.round(((b.busy - a.busy) / (b.total - a.total)) * 10000) / 100 : 0, load: [one, five, fifteen] },
    memory: memory(),
    disks: disks(),
    containers: results.flatMap((r) => r.rows ?? []),
    errors: results.flatMap((r) => (r.error ? [r.error] : [])),
  };
}
