// MIME user data: a message (or one part of one) is read as headers + body, its
// Content-Transfer-Encoding undone, and its body decoded by its Content-Type; a multipart body is
// split and each part goes the same way, one level deeper.
import { MAX_PARTS, formatBytes } from "./limits.ts";
import { headerOf, parseEntity, parseHeaderValue, type MimeEntity } from "./mime-entity.ts";
import { splitMultipart } from "./multipart.ts";
import { decodeTransferEncoding } from "./transfer-encoding.ts";
import { fail, warn, type DecodeFn, type Walk } from "./walk-context.ts";

/** Decodes a MIME entity given as bytes: a whole `make-mime` message, or one of its parts. */
export async function expandEntity(w: Walk, data: Buffer, source: string, depth: number, next: DecodeFn): Promise<void> {
  await decodeEntity(w, parseEntity(data.toString("latin1")), source, depth, next);
}

async function decodeEntity(w: Walk, entity: MimeEntity, source: string, depth: number, next: DecodeFn): Promise<void> {
  const ct = headerOf(entity, "content-type");
  const { value, params } = parseHeaderValue(ct?.value ?? "text/plain");
  const type = value === "" ? "text/plain" : value;
  const cte = headerOf(entity, "content-transfer-encoding")?.value ?? "";
  const body = decodeTransferEncoding(entity.body, cte);
  if (!body.ok) {
    fail(w, source, 1, 1, `${body.reason}, part skipped`, body.hint);
    return;
  }
  await next(w, body.data, source, depth, { type, params });
}

/** Decodes the parts of a multipart body, each named `${source}#partN` or `${source}#partN(filename)`. */
export async function expandMultipart(
  w: Walk,
  body: Buffer,
  boundary: string | undefined,
  source: string,
  depth: number,
  next: DecodeFn,
): Promise<void> {
  if (!boundary) {
    fail(w, source, 1, 1, "multipart content has no boundary parameter, skipped", 'add boundary="…" to its Content-Type, as `cloud-init devel make-mime` does');
    return;
  }
  const split = splitMultipart(body.toString("latin1"), boundary, w.partsLeft);
  if (split.parts.length === 0) {
    warn(w, source, 1, 1, `multipart message has no parts (no line "--${boundary}")`, "check that the boundary in Content-Type matches the delimiter lines");
    return;
  }
  const parts = split.parts.slice(0, w.partsLeft);
  if (split.parts.length > parts.length) {
    fail(w, source, 1, 1, `user data has more than ${MAX_PARTS} parts in all; part ${parts.length + 1} of this message and the ones after it were skipped`, "merge parts: one #cloud-config part can hold every setting");
  } else if (!split.closed) {
    warn(w, source, 1, 1, `multipart message ends without its closing line "--${boundary}--", so it may be cut short`, `check that the user data was not truncated (it may be at most ${formatBytes(w.maxBytes)}); the parts found were used`);
  }
  w.partsLeft -= parts.length;
  for (const [i, part] of parts.entries()) {
    const entity = parseEntity(part.text);
    await decodeEntity(w, entity, partSource(source, i + 1, entity), depth + 1, next);
  }
}

function partSource(source: string, n: number, headers: MimeEntity): string {
  const fromDisposition = parseHeaderValue(headerOf(headers, "content-disposition")?.value ?? "").params["filename"];
  const fromType = parseHeaderValue(headerOf(headers, "content-type")?.value ?? "").params["name"];
  const name = (fromDisposition ?? fromType ?? "").replace(/[\x00-\x1f\x7f]/g, "").trim().slice(0, 80);
  return name ? `${source}#part${n}(${name})` : `${source}#part${n}`;
}
