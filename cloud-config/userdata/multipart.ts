// Splits the body of a multipart MIME entity (RFC 2046 §5.1) into its parts. A delimiter is a line
// `--BOUNDARY` (the close is `--BOUNDARY--`), optionally followed by blanks; the line break before a
// delimiter belongs to the delimiter, not to the part. Preamble and epilogue are dropped.

export interface RawPart {
  /** The part entity (headers, blank line, body) as latin1 text. */
  text: string;
  /** 1-based line of the multipart body where the part starts. */
  line: number;
}

export interface SplitMultipart {
  parts: RawPart[];
  /** Whether the close delimiter was seen; false means the message may be truncated. */
  closed: boolean;
}

/** Splits at most `maxParts + 1` parts, so a caller can tell "too many" without holding them all. */
export function splitMultipart(body: string, boundary: string, maxParts: number): SplitMultipart {
  const delimiter = `--${boundary}`;
  const parts: RawPart[] = [];
  let partStart = -1; // offset where the current part's text starts; -1 while in the preamble
  let partLine = 0;
  let pos = 0;
  let line = 1;
  while (pos <= body.length) {
    const nl = body.indexOf("\n", pos);
    const end = nl === -1 ? body.length : nl;
    const next = nl === -1 ? body.length + 1 : nl + 1;
    if (body.startsWith(delimiter, pos)) {
      const rest = body.slice(pos + delimiter.length, end).replace(/\r$/, "");
      const close = rest.startsWith("--");
      if (/^[ \t]*$/.test(close ? rest.slice(2) : rest)) {
        if (partStart !== -1) {
          // The part ends before the line break that precedes this delimiter line.
          let partEnd = pos;
          if (partEnd > partStart && body[partEnd - 1] === "\n") partEnd--;
          if (partEnd > partStart && body[partEnd - 1] === "\r") partEnd--;
          parts.push({ text: body.slice(partStart, Math.max(partStart, partEnd)), line: partLine });
          if (parts.length > maxParts) return { parts, closed: false };
        }
        if (close) return { parts, closed: true };
        partStart = Math.min(next, body.length);
        partLine = line + 1;
      }
    }
    pos = next;
    line++;
  }
  // No close delimiter: what follows the last delimiter is still a part.
  if (partStart !== -1) parts.push({ text: body.slice(partStart), line: partLine });
  return { parts, closed: false };
}
