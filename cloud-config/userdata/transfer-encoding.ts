// Content-Transfer-Encoding (RFC 2045 §6): the body of a MIME part back to its bytes. Input is the
// body as latin1 text (one char per byte).

export type TransferResult = { ok: true; data: Buffer } | { ok: false; reason: string; hint: string };

export function decodeTransferEncoding(body: string, encoding: string): TransferResult {
  switch (encoding.trim().toLowerCase()) {
    case "":
    case "7bit":
    case "8bit":
    case "binary":
      return { ok: true, data: Buffer.from(body, "latin1") };
    case "base64":
      return decodeBase64(body);
    case "quoted-printable":
      return { ok: true, data: decodeQuotedPrintable(body) };
    default:
      return {
        ok: false,
        reason: `Content-Transfer-Encoding "${encoding}" is not one Corral decodes`,
        hint: "encode the part as base64, quoted-printable or 7bit",
      };
  }
}

function decodeBase64(body: string): TransferResult {
  const compact = body.replace(/[ \t\r\n]+/g, "");
  const bad = /[^A-Za-z0-9+/=]/.exec(compact);
  if (bad || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    return {
      ok: false,
      reason: bad ? `base64 body holds ${JSON.stringify(bad[0])}, which base64 never uses` : "base64 body is malformed (misplaced '=' or cut short)",
      hint: "re-encode the part, e.g. with `base64 -w 76`, or send it as 7bit text",
    };
  }
  return { ok: true, data: Buffer.from(compact, "base64") };
}

const HEX = /^[0-9A-Fa-f]{2}$/;

function decodeQuotedPrintable(body: string): Buffer {
  const out = Buffer.alloc(body.length); // decoding never grows the text
  let n = 0;
  const lines = body.split("\n");
  lines.forEach((raw, i) => {
    const hadCr = raw.endsWith("\r");
    // Trailing blanks are transport padding (RFC 2045 §6.7 rule 3).
    let line = (hadCr ? raw.slice(0, -1) : raw).replace(/[ \t]+$/, "");
    let soft = false;
    if (line.endsWith("=")) {
      soft = true;
      line = line.slice(0, -1);
    }
    for (let j = 0; j < line.length; j++) {
      const c = line.charCodeAt(j);
      const hex = line.slice(j + 1, j + 3);
      if (c === 0x3d && HEX.test(hex)) {
        out[n++] = parseInt(hex, 16);
        j += 2;
      } else {
        out[n++] = c & 0xff; // a stray "=" is kept as it is, as RFC 2045 advises robust decoders
      }
    }
    if (!soft && i < lines.length - 1) {
      if (hadCr) out[n++] = 0x0d;
      out[n++] = 0x0a;
    }
  });
  return out.subarray(0, n);
}
