// Where an upgrade image comes from: a local file or an http(s) URL, read as one stream (nothing is
// kept in memory or on a scratch disk), with its size when known for the progress bar.
import { createReadStream, existsSync, statSync } from "node:fs";
import { Readable } from "node:stream";

export interface ImageSource { stream: Readable; bytes?: number }

export class SourceError extends Error {}

export async function openImage(where: string, signal?: AbortSignal): Promise<ImageSource> {
  if (/^https?:\/\//i.test(where)) {
    let res: Response;
    try {
      res = await fetch(where, { signal });
    } catch (e) {
      throw new SourceError(`${where}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`);
    }
    if (!res.ok || !res.body) throw new SourceError(`${where}: HTTP ${res.status} ${res.statusText}`.trim());
    const length = Number(res.headers.get("content-length"));
    return { stream: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), bytes: length > 0 ? length : undefined };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where)) throw new SourceError(`${where}: only a file, http:// or https:// is read`);
  if (!existsSync(where)) throw new SourceError(`${where}: no such file (the upgrade image)`);
  return { stream: createReadStream(where), bytes: statSync(where).size };
}
