// "Did you mean …?": the keys the schema allows where an unknown key was found, and the nearest one.
import { IGNORED } from "./schema/index.ts";
import { objectsAt } from "./schema/walk.ts";
import type { Path } from "./parse.ts";

/** The ignored-key table's name for a path: "users[]" for users.3, "rancher" for rancher. */
export function ignoredPattern(path: Path): string {
  return path.map((seg) => (typeof seg === "number" ? "[]" : `.${seg}`)).join("").replace(/^\./, "").replace(/\.\[\]/g, "[]");
}

export function allowedKeys(path: Path): string[] {
  const keys = new Set(objectsAt(path).flatMap((o) => Object.keys(o.shape)));
  const pattern = ignoredPattern(path);
  for (const t of IGNORED) if (t.at === pattern) for (const k of Object.keys(t.keys)) keys.add(k);
  return [...keys];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest allowed key, if it is close enough to be a typo (or differs only in - vs _ and case). */
export function nearest(key: string, candidates: string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, "_");
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = norm(c) === norm(key) ? 0 : distance(norm(key), norm(c));
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}
