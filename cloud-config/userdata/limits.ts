// The bounds every user-data decode runs under. User data comes from outside the host (a disk, a
// metadata service, a URL), so nothing in it may make the decoder use unbounded memory or time.

/** Bytes read in total: the user data itself plus everything gunzipped or fetched from it. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** Wall-clock time all `#include` fetches of one decode share. */
export const DEFAULT_INCLUDE_BUDGET_MS = 10_000;
/** Containers inside containers: each gzip layer, MIME message, multipart split, `#include` and archive is one level. */
export const MAX_DEPTH = 8;
/** MIME parts and archive entries, counted over the whole decode. */
export const MAX_PARTS = 100;
/** `#include` URLs fetched, counted over the whole decode. */
export const MAX_INCLUDES = 20;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
