// Which format some user data is, told from its first line as cloud-init does: each header maps to
// the MIME type a multipart message would give the same content, so detection by content and
// detection by Content-Type share one routing table (part-types.ts).

/** A MIME message: its first line is a header field, as `cloud-init devel make-mime` writes. */
export const MIME_MESSAGE = "message/x-mime";

/** Headers a user can start user data with, in the order they are tried (longer before shorter). */
const HEADERS: readonly { match: RegExp; header: string; type: string }[] = [
  { match: /^#include-once(\s|$)/, header: "#include-once", type: "text/x-include-once-url" },
  { match: /^#include(\s|$)/, header: "#include", type: "text/x-include-url" },
  { match: /^#cloud-config-archive(\s|$)/, header: "#cloud-config-archive", type: "text/cloud-config-archive" },
  { match: /^#cloud-config-jsonp(\s|$)/, header: "#cloud-config-jsonp", type: "text/cloud-config-jsonp" },
  { match: /^#cloud-config(\s|$)/, header: "#cloud-config", type: "text/cloud-config" },
  { match: /^#cloud-boothook(\s|$)/, header: "#cloud-boothook", type: "text/cloud-boothook" },
  { match: /^#part-handler(\s|$)/, header: "#part-handler", type: "text/part-handler" },
  { match: /^#upstart-job(\s|$)/, header: "#upstart-job", type: "text/upstart-job" },
  { match: /^##\s*template:\s*jinja(\s|$)/i, header: "## template: jinja", type: "text/jinja2" },
  { match: /^#!/, header: "#!", type: "text/x-shellscript" },
];

/** What the hint of an unreadable document lists. */
export const ACCEPTED_HEADERS =
  "#cloud-config, #! (a script), #include, #include-once, #cloud-config-archive, a MIME multipart message (Content-Type: multipart/mixed), or any of these gzipped";

export interface Detected {
  /** The MIME type the content is handled as, or MIME_MESSAGE. */
  type: string;
  /** The header line that decided it, for messages. */
  header: string;
}

const firstLine = (text: string) => (text.split("\n", 1)[0] ?? "").replace(/\r$/, "");

/** Whether bytes start like a MIME message; checked before any charset decoding, since parts may be binary. */
export function looksLikeMime(data: Buffer): boolean {
  const head = data.subarray(0, 64).toString("latin1").replace(/^\uFEFF|^\xEF\xBB\xBF/, "");
  return /^(content-type|mime-version)[ \t]*:/i.test(head);
}

/** The type of decoded text by its first line; undefined when no known header starts it. */
export function detectByHeader(text: string): Detected | undefined {
  const line = firstLine(text);
  for (const h of HEADERS) if (h.match.test(line)) return { type: h.type, header: h.header };
  return undefined;
}
