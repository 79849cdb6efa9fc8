// `url:http(s)://...` and the kernel command line's `cloud-config-url=`: one GET for the user data.
// A 404 means the source is absent; any other status but 2xx is a failure.
import { getIfPresent, whenAnswering } from "./http.ts";
import type { Datasource } from "./types.ts";

export function urlSource(url: string, name = `url:${url}`, source = name): Datasource {
  return {
    name,
    async fetch(signal) {
      const res = await whenAnswering(() => getIfPresent(url, { signal }), signal);
      return res && { source, userData: res.body, metadata: {} };
    },
  };
}

/** http: or https: URLs only; a message saying what is wrong otherwise. */
export function checkHttpUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  return u.protocol === "http:" || u.protocol === "https:" ? undefined : `"${url}" is not an http:// or https:// URL`;
}
