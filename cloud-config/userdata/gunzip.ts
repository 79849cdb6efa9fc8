// Bounded gzip decompression. zlib stops as soon as the output would pass `limit`, so a gzip bomb
// costs at most `limit` bytes of memory, however far it would expand.
import { gunzip, type InputType, type ZlibOptions } from "node:zlib";
import { promisify } from "node:util";

const gunzipAsync = promisify<InputType, ZlibOptions, Buffer>(gunzip);

export const isGzip = (data: Buffer) => data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;

export type GunzipResult = { ok: true; data: Buffer } | { ok: false; tooLarge: boolean; reason: string };

export async function gunzipBounded(data: Buffer, limit: number): Promise<GunzipResult> {
  if (limit <= 0) return { ok: false, tooLarge: true, reason: "no bytes are left to decompress into" };
  try {
    return { ok: true, data: await gunzipAsync(data, { maxOutputLength: limit }) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ERR_BUFFER_TOO_LARGE") return { ok: false, tooLarge: true, reason: `it expands to more than ${limit} bytes` };
    return { ok: false, tooLarge: false, reason: err.message };
  }
}
