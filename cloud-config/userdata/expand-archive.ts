// `#cloud-config-archive` user data: each item of the YAML list is decoded as a part of its `type`
// (or, without one, by its header), named `${source}#partN` or `${source}#partN(filename)`.
import { parseArchive } from "./archive.ts";
import { MAX_PARTS } from "./limits.ts";
import { fail, warn, type DecodeFn, type Walk } from "./walk-context.ts";

export async function expandArchive(w: Walk, text: string, source: string, depth: number, next: DecodeFn): Promise<void> {
  const archive = parseArchive(text);
  for (const p of archive.problems) (p.severity === "error" ? fail : warn)(w, source, p.line, p.col, p.message, p.hint);
  const entries = archive.entries.slice(0, Math.max(0, w.partsLeft));
  const over = archive.entries[entries.length];
  if (over) {
    fail(w, source, over.line, over.col, `user data has more than ${MAX_PARTS} parts in all; this item and the ones after it were skipped`, "merge parts: one #cloud-config part can hold every setting");
  }
  w.partsLeft -= entries.length;
  for (const [i, e] of entries.entries()) {
    const name = e.filename?.replace(/[\x00-\x1f\x7f]/g, "").trim().slice(0, 80);
    const partSource = name ? `${source}#part${i + 1}(${name})` : `${source}#part${i + 1}`;
    if (e.launchIndex) {
      warn(w, source, e.line, e.col, "launch-index is ignored on Corral, so this part applies to every host", "remove launch-index, or give each host its own user data");
    }
    await next(w, Buffer.from(e.content, "utf8"), partSource, depth + 1, e.type ? { type: e.type, params: {} } : undefined);
  }
}
