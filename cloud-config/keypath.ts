// Dotted keys as `ros config` and the kernel command line write them: rancher.network.dns.search.
// Some map keys hold dots themselves (sysctl vm.max_map_count, interface bond0.100, label
// io.rancher.os.scope); the schema tells where such a key starts, and `\.` forces a literal dot.
import type { Path } from "./parse.ts";
import { isArrayAt, isRecordAt, objectsAt } from "./schema/walk.ts";

export function splitKey(key: string): Path {
  const raw = key.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, "."));
  if (raw.some((s) => s === "")) throw new Error(`"${key}" is not a key: empty part between dots`);
  const out: Path = [];
  for (let i = 0; i < raw.length; ) {
    if (isRecordAt(out)) {
      // The record's own key runs up to the first segment that is a field of its values.
      const fieldsAfter = new Set(objectsAt([...out, "x"]).flatMap((o) => Object.keys(o.shape)));
      let j = i + 1;
      while (j < raw.length && !fieldsAfter.has(raw[j]!)) j++;
      out.push(raw.slice(i, j).join("."));
      i = j;
    } else {
      const seg = raw[i++]!;
      out.push(/^\d+$/.test(seg) && isArrayAt(out) ? Number(seg) : seg);
    }
  }
  return out;
}
