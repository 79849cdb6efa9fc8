// The default `#include` fetcher: http and https only, through the platform's fetch, reading at
// most what the decode's byte budget still allows.
import type { ByteBudget } from "./byte-budget.ts";

export async function fetchUrl(url: string, signal: AbortSignal, budget: ByteBudget): Promise<Buffer> {
  const { protocol } = new URL(url);
  if (protocol !== "http:" && protocol !== "https:") throw new Error(`only http and https URLs are fetched, not ${protocol}`);
  const res = await fetch(url, { signal, redirect: "follow" });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`);
  }
  const tooLarge = () => new Error(`the response is larger than the ${budget.left} bytes of user data still allowed`);
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > budget.left) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!budget.take(value.byteLength)) {
        const err = tooLarge();
        await reader.cancel().catch(() => {});
        throw err;
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  }
  return Buffer.concat(chunks);
}
