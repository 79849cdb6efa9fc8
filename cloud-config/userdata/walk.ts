// The recursive heart of the decoder: one piece of user data in, parts and diagnostics out. It
// peels gzip, reads a declared type or else the content's header, and hands containers (MIME,
// #include, archive) to their expanders, which come back here one level deeper.
import { ACCEPTED_HEADERS, detectByHeader, looksLikeMime } from "./detect.ts";
import { expandArchive } from "./expand-archive.ts";
import { expandInclude } from "./expand-include.ts";
import { expandEntity, expandMultipart } from "./expand-mime.ts";
import { gunzipBounded, isGzip } from "./gunzip.ts";
import { MAX_DEPTH, formatBytes } from "./limits.ts";
import { isGenericType, routeFor } from "./part-types.ts";
import { decodeText, firstLineForDisplay } from "./text.ts";
import { fail, warn, type Declared, type Walk } from "./walk-context.ts";

export async function decodeBytes(w: Walk, data: Buffer, source: string, depth: number, declared?: Declared): Promise<void> {
  if (depth > MAX_DEPTH) {
    fail(w, source, 1, 1, `user data nests more than ${MAX_DEPTH} levels deep (each gzip layer, MIME message, multipart, #include and archive counts), this part was skipped`, "flatten it: put every part in one MIME multipart message");
    return;
  }
  if (isGzip(data)) {
    const got = await gunzipBounded(data, w.bytes.left);
    if (!got.ok) {
      if (got.tooLarge) {
        fail(w, source, 1, 1, `gzip data expands past the ${formatBytes(w.maxBytes)} of user data Corral reads, skipped`, "send less: the user data, everything gunzipped and everything fetched count together");
      } else {
        fail(w, source, 1, 1, `gzip data is corrupt (${got.reason}), skipped`, "re-create it with `gzip -c`; the rest of the user data still applies");
      }
      return;
    }
    w.bytes.take(got.data.length);
    const inner = declared && !isGenericType(declared.type) ? declared : undefined;
    await decodeBytes(w, got.data, source, depth + 1, inner);
    return;
  }

  if (declared === undefined || isGenericType(declared.type)) {
    if (looksLikeMime(data)) {
      await expandEntity(w, data, source, depth + 1, decodeBytes);
      return;
    }
    const text = decodeText(data, declared?.params["charset"]);
    if (!text.ok) {
      notAFormat(w, source, data, `: ${text.reason}`);
      return;
    }
    if (text.text.trim() === "") return;
    const found = detectByHeader(text.text);
    if (!found) {
      notAFormat(w, source, text.text, "");
      return;
    }
    await routeText(w, text.text, found.type, ` (${found.header})`, source, depth);
    return;
  }

  if (routeFor(declared.type).kind === "multipart") {
    await expandMultipart(w, data, declared.params["boundary"], source, depth, decodeBytes);
    return;
  }
  const text = decodeText(data, declared.params["charset"]);
  if (!text.ok) {
    fail(w, source, 1, 1, `${declared.type} part is not readable text (${text.reason}), skipped`, "encode the part as UTF-8 and say charset=utf-8 in its Content-Type");
    return;
  }
  if (text.text.trim() === "") return;
  // A cloud-config written as a jinja template says so on its first line, whatever its part type.
  const jinja = detectByHeader(text.text)?.type === "text/jinja2";
  await routeText(w, text.text, jinja ? "text/jinja2" : declared.type, "", source, depth);
}

/** Routes text of a known type; `header` names what decided the type, for messages. */
async function routeText(w: Walk, text: string, type: string, header: string, source: string, depth: number): Promise<void> {
  const route = routeFor(type);
  switch (route.kind) {
    case "cloud-config":
      w.out.cloudConfigs.push({ source, text });
      return;
    case "script":
      if (!text.startsWith("#!")) {
        warn(w, source, 1, 1, `${type} part does not start with "#!", skipped`, "make its first line the interpreter to run it with, like #!/bin/sh");
        return;
      }
      w.out.scripts.push({ source, text });
      return;
    case "include":
      await expandInclude(w, text, source, depth, decodeBytes);
      return;
    case "archive":
      await expandArchive(w, text, source, depth, decodeBytes);
      return;
    case "multipart":
    case "by-content":
      // Only reached for a declared type: multipart was handled on bytes and generic types by content.
      notAFormat(w, source, text, "");
      return;
    case "unsupported":
      warn(w, source, 1, 1, `part type ${type}${header} is not supported on Corral, skipped`, route.hint);
      return;
  }
}

function notAFormat(w: Walk, source: string, data: Buffer | string, why: string): void {
  warn(w, source, 1, 1, `user data is not a format Corral reads (first line: ${firstLineForDisplay(data)})${why}`, `start it with one of: ${ACCEPTED_HEADERS}`);
}
