// `#include` / `#include-once` user data: every URL of the list is fetched (all at once, under the
// decode's shared time budget) and what it returns is decoded like user data, in list order. A URL
// that fails is an error at its line; the others still apply. Corral keeps no fetch cache between
// boots, so `#include-once` is fetched like `#include`.
import { parseIncludeList } from "./include-list.ts";
import { MAX_INCLUDES } from "./limits.ts";
import { fail, warn, type DecodeFn, type Walk } from "./walk-context.ts";

type Fetched = { ok: true; data: Buffer } | { ok: false; reason: string };

export async function expandInclude(w: Walk, text: string, source: string, depth: number, next: DecodeFn): Promise<void> {
  const list = parseIncludeList(text);
  for (const p of list.problems) fail(w, source, p.line, p.col, p.message, p.hint);
  if (list.urls.length === 0 && list.problems.length === 0) {
    warn(w, source, 1, 1, "#include lists no URL", "add the URLs to fetch, one a line, after the #include line");
    return;
  }
  const urls = list.urls.slice(0, Math.max(0, w.includesLeft));
  const over = list.urls[urls.length];
  if (over) {
    fail(w, source, over.line, over.col, `user data has more than ${MAX_INCLUDES} #include URLs in all; ${over.url} and the ones after it were skipped`, "fetch fewer documents, or merge them into one");
  }
  w.includesLeft -= urls.length;
  const fetches = urls.map((u) =>
    w.deadline.run((signal) => w.fetch(u.url, signal)).then(
      (data): Fetched => ({ ok: true, data }),
      (e: unknown): Fetched => ({ ok: false, reason: e instanceof Error ? e.message : String(e) }),
    ),
  );
  for (const [i, u] of urls.entries()) {
    const got = await fetches[i]!;
    if (!got.ok) {
      fail(w, source, u.line, u.col, `could not fetch #include URL ${u.url}: ${got.reason}`, "check that the URL answers from this host; the rest of the user data still applies");
      continue;
    }
    await next(w, got.data, u.url, depth + 1);
  }
}
