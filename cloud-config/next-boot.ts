// Config changes asked for the next boot (the host API's mode `next-boot`): kept aside, so nothing
// running reads them now, and written into cloud-config.yml by init before it reads the config.
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { atomicWrite } from "../os/atomic-write.ts";
import { withFileLock } from "../os/file-lock.ts";
import { paths } from "../os/paths.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { setValues } from "./edit.ts";
import type { Path } from "./parse.ts";

/** null stands for "remove the key" (JSON has no undefined). */
type Pending = [Path, unknown][];

const read = (file: string): Pending => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Pending) : []);

/** Adds changes to those already waiting; a later change of the same key wins. */
export function stageNextBoot(changes: [Path, unknown][], file = paths.nextBootConfig): Pending {
  return withFileLock(file, () => {
    const all = [...read(file), ...changes.map(([p, v]): [Path, unknown] => [p, v === undefined ? null : v])];
    atomicWrite(file, `${JSON.stringify(all)}\n`, 0o600);
    return all;
  });
}

export const pendingNextBoot = (file = paths.nextBootConfig): Pending => read(file);

/** At boot: the waiting changes go into cloud-config.yml (refused ones are returned) and the file goes. */
export function applyNextBoot(file = paths.nextBootConfig, target = paths.cloudConfig): Diagnostic[] {
  if (!existsSync(file)) return [];
  let changes: Pending;
  try {
    changes = read(file);
  } catch {
    // A torn file cannot be: atomicWrite. Anything unreadable is dropped rather than retried each boot.
    changes = [];
  }
  const refused = changes.length ? setValues(target, changes.map(([p, v]) => [p, v === null ? undefined : v])) : [];
  unlinkSync(file);
  return refused;
}
