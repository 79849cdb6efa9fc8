// One GET of a catalog file, bounded in time and size. A server that cannot be reached (or is
// failing, 5xx) is told apart from one that answers "no such file", because only the first lets a
// cached copy stand in.
import { MAX_CONFIG_BYTES } from "../../../cloud-config/parse.ts";
import { CatalogError, tooBig } from "./errors.ts";

/** Per request, body included: a repository that hangs must not hold up the boot for long. */
export const REQUEST_TIMEOUT_MS = 10_000;

export class Unreachable extends Error {}

async function boundedBody(res: Response, url: string): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > MAX_CONFIG_BYTES) {
    await res.body?.cancel();
    throw tooBig(url);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > MAX_CONFIG_BYTES) throw tooBig(url);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function fetchText(url: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (e) {
    throw new Unreachable(describe(e, timeoutMs));
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw new Unreachable(`the server answered ${res.status} ${res.statusText}`.trim());
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new CatalogError(`${url} answered ${res.status} ${res.statusText}`.trim() + (res.status === 404 ? " (no such file in the repository; check the name and the repository's url)" : ""));
  }
  try {
    return await boundedBody(res, url);
  } catch (e) {
    if (e instanceof CatalogError) throw e;
    throw new Unreachable(describe(e, timeoutMs));
  }
}

/** fetch's own message is "fetch failed": the reason ("connect ECONNREFUSED 10.0.0.1:80") is in its cause. */
function describe(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  if (err.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  return err.cause?.message || err.cause?.code || err.message;
}
