// Mounts a partition (under paths.installRun) for the length of a task and always unmounts it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { paths } from "../paths.ts";

export async function withMount<T>(device: string, name: string, fn: (dir: string) => Promise<T> | T, o: { readOnly?: boolean } = {}): Promise<T> {
  const dir = join(paths.installRun, name);
  mkdirSync(dir, { recursive: true });
  // Left mounted by a run that was killed: the folder is ours alone.
  await run("umount", [dir]).catch(() => undefined);
  await run("mount", [...(o.readOnly ? ["-o", "ro"] : []), device, dir]);
  try {
    return await fn(dir);
  } finally {
    await run("umount", [dir]);
  }
}
