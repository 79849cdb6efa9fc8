// Files on the host: paths a user writes ("/media/config-2") resolve under ROS_ROOT, and reads are
// bounded like HTTP answers are.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROS_ROOT } from "../../os/paths.ts";
import { MAX_BYTES } from "./limits.ts";

export function hostPath(path: string): string {
  return join(ROS_ROOT, path);
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The file's bytes, or undefined when there is no such file. */
export function readIfPresent(path: string, maxBytes = MAX_BYTES): Buffer | undefined {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error(`${path} is a directory, not a file`);
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
  if (size > maxBytes) throw new Error(`${path}: refused a file of ${size} bytes (the limit is ${maxBytes})`);
  return readFileSync(path);
}
