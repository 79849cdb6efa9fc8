// The state partition: what an installed host keeps (paths.ts, persistedDirs). Named by
// rancher.state.dev (LABEL=RANCHER_STATE unless the config says otherwise), made on a blank disk
// listed in rancher.state.autoformat, mounted, and its folders bound over the initrd's. Without
// one the host runs from RAM, as a live boot does; only rancher.state.required makes that fatal.
import { closeSync, existsSync, mkdirSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { run } from "../exec.ts";
import { log } from "../log.ts";
import { hostPath, paths, persistedDirs } from "../paths.ts";
import { LABELS } from "../install/layout.ts";
import { VERSION } from "../version.ts";
import { seedStore } from "./system-docker-store.ts";

type State = NonNullable<NonNullable<CloudConfig["rancher"]>["state"]>;

/** How long to look for the device: disks show up with their drivers, before this stage (a live
 * boot without one pays this); rancher.state.wait is for disks that come later (USB). */
const FIND_MS = 500;
const WAIT_MS = 60_000;

async function resolveDevice(spec: string): Promise<string | undefined> {
  if (spec.startsWith("/dev/")) return existsSync(spec) ? spec : undefined;
  return run("findfs", [spec]).then((r) => r.stdout.trim() || undefined, () => undefined);
}

/** A disk that is all zeros in its first MiB: no partition table, no filesystem, safe to format. */
function blank(device: string): boolean {
  const buf = Buffer.alloc(1024 * 1024);
  const fd = openSync(device, "r");
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return n > 0 && buf.subarray(0, n).every((b) => b === 0);
  } finally {
    closeSync(fd);
  }
}

async function autoformat(devices: string[]): Promise<void> {
  for (const d of devices) {
    if (!existsSync(d) || !blank(d)) continue;
    log("state", `formatting the blank disk ${d} as ${LABELS.state} (rancher.state.autoformat)`);
    await run("mkfs.ext4", ["-q", "-F", "-L", LABELS.state, d]);
    return;
  }
}

async function find(s: State, spec: string): Promise<string | undefined> {
  const until = Date.now() + (s.wait ? WAIT_MS : FIND_MS);
  for (;;) {
    const dev = await resolveDevice(spec);
    if (dev || Date.now() > until) return dev;
    await sleep(250);
  }
}

/** Mounts the state partition and binds the persisted folders; returns the device, if any. */
export async function mountState(s: State = {}): Promise<string | undefined> {
  const spec = s.dev ?? `LABEL=${LABELS.state}`;
  if (s.autoformat?.length) await autoformat(s.autoformat);
  const dev = await find(s, spec);
  if (!dev) {
    if (s.required) throw new Error(`rancher.state.required: no state partition ${spec} found${s.wait ? ` within ${WAIT_MS / 1000} s` : ""}`);
    mkdirSync(paths.userDockerRoot, { recursive: true });
    await run("mount", ["-t", "tmpfs", "-o", "mode=0711", "tmpfs", paths.userDockerRoot]);
    log("state", `no state partition (${spec}): running from RAM, nothing persists`);
    return undefined;
  }
  mkdirSync(paths.stateMount, { recursive: true });
  await run("mount", [...(s.fstype ? ["-t", s.fstype] : []), dev, paths.stateMount]);
  for (const d of persistedDirs) {
    const target = hostPath(d);
    const from = join(paths.stateMount, d);
    mkdirSync(from, { recursive: true });
    mkdirSync(target, { recursive: true });
    if (target === paths.systemDockerRoot) {
      const t = Date.now();
      const copied = await seedStore(target, from, VERSION);
      if (copied) log("state", `the system Docker's images of ${VERSION} are on ${dev} now (${copied} entries, ${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
    await run("mount", ["--bind", from, target]);
  }
  log("state", `${dev} on ${paths.stateMount}: ${persistedDirs.join(", ")} persist`);
  return dev;
}
