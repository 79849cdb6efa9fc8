// Datasource disks, found by filesystem label (findfs LABEL=...), mounted read-only under
// paths.datasourceMount (one directory per source, as sources run in parallel), read, unmounted.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../../os/exec.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { CONFIG_DRIVE_LABELS, readConfigDriveTree } from "./configdrive.ts";
import { DEVICE_WAIT_MS } from "./limits.ts";
import { NOCLOUD_LABELS, readNocloudTree } from "./nocloud.ts";
import type { Datasource, Found, Metadata } from "./types.ts";

type TreeReader = (dir: string, shownAs: string) => Found | undefined;

async function findDevice(label: string): Promise<string | undefined> {
  try {
    return (await run("findfs", [`LABEL=${label}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function findAny(labels: string[]): Promise<string | undefined> {
  for (const label of labels) {
    const dev = await findDevice(label);
    if (dev) return dev;
  }
  return undefined;
}

/** Mounts `dev` read-only, reads the tree on it, and always unmounts. */
async function readDisk(name: string, dev: string, readTree: TreeReader): Promise<Found | undefined> {
  const dir = join(paths.datasourceMount, name);
  mkdirSync(dir, { recursive: true });
  await run("mount", ["-o", "ro", dev, dir]);
  try {
    return readTree(dir, `${dev}:`);
  } finally {
    await run("umount", [dir]).catch((e: Error) => log("datasource", `umount ${dir}: ${e.message}`));
  }
}

/** A disk source: waits up to waitMs (or until aborted) for a disk with one of `labels` to appear. */
export function labelledDisk(name: string, labels: string[], readTree: TreeReader, waitMs = DEVICE_WAIT_MS): Datasource {
  return {
    name,
    async fetch(signal) {
      const until = Date.now() + waitMs;
      let dev = await findAny(labels);
      while (!dev && Date.now() < until) {
        await sleep(250, undefined, { signal });
        dev = await findAny(labels);
      }
      signal.throwIfAborted();
      return dev ? readDisk(name, dev, readTree) : undefined;
    },
  };
}

/** `overrides` are the kernel command line's ds=nocloud;h=...;i=... values. */
export const nocloudDisk = (overrides: Metadata = {}, waitMs = DEVICE_WAIT_MS): Datasource =>
  labelledDisk("nocloud", NOCLOUD_LABELS, (dir, shownAs) => readNocloudTree(dir, shownAs, overrides), waitMs);
export const configDriveDisk = (waitMs = DEVICE_WAIT_MS): Datasource => labelledDisk("configdrive", CONFIG_DRIVE_LABELS, readConfigDriveTree, waitMs);
