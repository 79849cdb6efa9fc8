// Bytes to text. User data is UTF-8 (US-ASCII is its subset); a MIME part may name another charset,
// which is honoured when the platform's TextDecoder knows it. Invalid bytes are never replaced:
// the caller reports them instead of acting on mangled text.

export type TextResult = { ok: true; text: string } | { ok: false; reason: string };

const UTF8_ALIASES = new Set(["", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968"]);

export function decodeText(data: Buffer, charset = ""): TextResult {
  const label = UTF8_ALIASES.has(charset.toLowerCase()) ? "utf-8" : charset;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    return { ok: false, reason: `charset "${charset}" is unknown` };
  }
  try {
    return { ok: true, text: decoder.decode(data) };
  } catch {
    return { ok: false, reason: label === "utf-8" ? "it is not valid UTF-8 text" : `it is not valid ${charset} text` };
  }
}

/** The first line of some bytes, quoted and shortened, safe to print whatever the bytes are. */
export function firstLineForDisplay(data: Buffer | string, max = 60): string {
  const text = typeof data === "string" ? data : data.subarray(0, 4 * max).toString("utf8");
  const line = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  const shown = line.length > max ? `${line.slice(0, max)}…` : line;
  return JSON.stringify(shown);
}
