// Where the build keeps what it downloads and what it made, keyed by content so reruns are fast.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..");
export const CACHE = process.env.CORRAL_CACHE ? resolve(process.env.CORRAL_CACHE) : join(REPO, ".cache");
/** CORRAL_DIST: another output folder (the upgrade test's second build). */
export const DIST = process.env.CORRAL_DIST ? resolve(process.env.CORRAL_DIST) : join(REPO, "dist");

export function cacheDir(...parts: string[]): string {
  const dir = join(CACHE, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function hash(...inputs: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const i of inputs) h.update(i).update("\0");
  return h.digest("hex");
}

/** Runs `make` only when the key differs from the one recorded beside `output` by the last run. */
export async function cached(output: string, key: string, make: () => Promise<void>): Promise<boolean> {
  const stamp = `${output}.key`;
  if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, "utf8") === key) return false;
  await make();
  writeFileSync(stamp, key);
  return true;
}
