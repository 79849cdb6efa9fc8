// Reading and changing plain config data (maps, lists, scalars) at a path of keys and indexes.
import type { Path } from "./parse.ts";

export type Tree = Record<string, unknown>;

export const isMapValue = (v: unknown): v is Tree => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

export function getPath(root: unknown, path: Path): unknown {
  let cur = root;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else if (isMapValue(cur) && Object.hasOwn(cur, String(seg))) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

/** Sets a value, creating maps on the way (a scalar in the way is replaced by a map). */
export function setPath(root: Tree, path: Path, value: unknown): void {
  let cur: Tree | unknown[] = root;
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    if (Array.isArray(cur) && typeof seg === "number") {
      if (last) cur[seg] = value;
      else cur = (cur[seg] = isMapValue(cur[seg]) || Array.isArray(cur[seg]) ? cur[seg] : {}) as Tree;
    } else {
      const m = cur as Tree;
      const k = String(seg);
      if (last) m[k] = value;
      else cur = (m[k] = isMapValue(m[k]) || Array.isArray(m[k]) ? m[k] : {}) as Tree;
    }
  });
}

export function deletePath(root: unknown, path: Path): void {
  const parent = getPath(root, path.slice(0, -1));
  const seg = path[path.length - 1];
  if (Array.isArray(parent) && typeof seg === "number") parent.splice(seg, 1);
  else if (isMapValue(parent)) delete parent[String(seg)];
}

/** Map entries whose value is null mean "not set" (a bare `key:` in YAML); list items keep their nulls. */
export function dropNullEntries(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNullEntries);
  if (!isMapValue(v)) return v;
  const out: Tree = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNullEntries(x);
  return out;
}
