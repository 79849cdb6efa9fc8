// The merge of config layers: maps merge key by key, anything else (lists, scalars) is replaced by the later layer.
import { isMapValue, type Tree } from "./tree.ts";

export function deepMerge<T extends Tree>(base: T, over: Tree): T {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    out[k] = isMapValue(cur) && isMapValue(v) ? deepMerge(cur, v) : structuredClone(v);
  }
  return out as T;
}
