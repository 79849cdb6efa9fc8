// Finds a datasource disk by label, mounts it read-only, and reads its user data.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../os/exec.ts";
import { paths } from "../../os/paths.ts";
import { configDrive } from "./configdrive.ts";
import { nocloud } from "./nocloud.ts";
import type { DiskDatasource } from "./types.ts";

export const DISK_DATASOURCES: DiskDatasource[] = [nocloud, configDrive];

export interface FoundUserData { source: string; text: string }

/** Reads user data from a datasource tree already mounted (or unpacked) at `dir`. */
export function readFromTree(ds: DiskDatasource, dir: string): string | undefined {
  const file = join(dir, ds.userDataPath);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

async function findDevice(label: string): Promise<string | undefined> {
  try {
    return (await run("findfs", [`LABEL=${label}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Probes every disk datasource in order; the first disk found wins. */
export async function readDiskUserData(): Promise<FoundUserData | undefined> {
  for (const ds of DISK_DATASOURCES) {
    for (const label of ds.labels) {
      const dev = await findDevice(label);
      if (!dev) continue;
      mkdirSync(paths.datasourceMount, { recursive: true });
      await run("mount", ["-o", "ro", dev, paths.datasourceMount]);
      try {
        const text = readFromTree(ds, paths.datasourceMount);
        return { source: `${ds.name}:${dev}:/${ds.userDataPath}`, text: text ?? "" };
      } finally {
        await run("umount", [paths.datasourceMount]);
      }
    }
  }
  return undefined;
}
