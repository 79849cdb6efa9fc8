// The last copy of each config file that read without errors, kept beside the files so a file that
// goes bad later is replaced by what it last said rather than by nothing.
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { atomicWrite } from "../os/atomic-write.ts";
import { ROS_ROOT, paths } from "../os/paths.ts";
import type { CloudConfig } from "./schema/index.ts";

const fileFor = (configFile: string) => join(paths.lastGoodDir, `${encodeURIComponent(relative(ROS_ROOT, configFile))}.json`);

export function readLastGood(configFile: string): CloudConfig | undefined {
  const f = fileFor(configFile);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, "utf8")) as CloudConfig;
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only mount (a service container) or an unprivileged caller just keeps the old copy. */
export function saveLastGood(configFile: string, config: CloudConfig): void {
  const text = JSON.stringify(config);
  const f = fileFor(configFile);
  try {
    if (existsSync(f) && readFileSync(f, "utf8") === text) return;
    atomicWrite(f, text, 0o600);
  } catch {
    // Keeping the previous copy is the safe outcome.
  }
}
