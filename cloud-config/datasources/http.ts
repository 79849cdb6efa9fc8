// HTTP for datasources: Node's fetch under the caller's AbortSignal, with a timeout of its own per
// request and a cap on the response size, so a hung or hostile server costs neither time nor memory.
import { setTimeout as sleep } from "node:timers/promises";
import { CONNECT_RETRY_MS, MAX_BYTES, REQUEST_TIMEOUT_MS } from "./limits.ts";

export interface HttpOptions {
  signal: AbortSignal;
  method?: "GET" | "PUT";
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
}

/** Nothing answered at all (refused, unreachable, unknown name): the network may not be up yet. */
export class NoAnswer extends Error {}

const NO_ANSWER: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "name not found",
  EAI_AGAIN: "name lookup failed",
};

/** One request; the whole body is read (at most maxBytes) before it resolves. */
export async function httpRequest(url: string, opts: HttpOptions): Promise<HttpResponse> {
  const method = opts.method ?? "GET";
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? MAX_BYTES;
  const what = `${method} ${url}`;
  opts.signal.throwIfAborted();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  try {
    const res = await fetch(url, { method, headers: opts.headers, signal: AbortSignal.any([opts.signal, timeout.signal]) });
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`${what}: refused a response of ${declared} bytes (the limit is ${maxBytes})`);
    }
    return { url, status: res.status, headers: res.headers, body: await readBody(res, maxBytes, what) };
  } catch (e) {
    if (opts.signal.aborted) throw opts.signal.reason;
    if (timeout.signal.aborted) throw new Error(`${what}: no answer within ${timeoutMs} ms`);
    const code = String((e as { cause?: { code?: unknown } }).cause?.code ?? "");
    if (e instanceof TypeError && code in NO_ANSWER) throw new NoAnswer(`${what}: ${NO_ANSWER[code]}`);
    if (e instanceof TypeError) throw new Error(`${what}: ${(e as { cause?: Error }).cause?.message ?? e.message}`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function readBody(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(`${what}: refused a response over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** GET that reads 404 as "not there" (undefined) and any other status but 2xx as a failure. */
export async function getIfPresent(url: string, opts: HttpOptions): Promise<HttpResponse | undefined> {
  const res = await httpRequest(url, opts);
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status > 299) throw new Error(`${opts.method ?? "GET"} ${url}: HTTP ${res.status}`);
  return res;
}

/** Retries `attempt` while nothing answers, for up to windowMs; any answer (even an error status) ends it. */
export async function whenAnswering<T>(attempt: () => Promise<T>, signal: AbortSignal, windowMs = CONNECT_RETRY_MS): Promise<T> {
  const until = Date.now() + windowMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof NoAnswer) || Date.now() + delay > until) throw e;
      await sleep(delay, undefined, { signal });
    }
  }
}

/** The base URL of a metadata service without its trailing slashes, joined to a path. */
export function endpoint(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

export function parseJson(body: Buffer, url: string): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new Error(`${url}: not valid JSON (${(e as Error).message})`);
  }
}
