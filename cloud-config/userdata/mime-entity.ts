// A MIME entity (RFC 2045/5322): a header block, a blank line, a body. The text is the entity's
// bytes read as latin1, one char per byte, so a binary body survives the round trip unchanged.

export interface HeaderField {
  /** Lower-cased field name. */
  name: string;
  /** Unfolded value, trimmed. */
  value: string;
  /** 1-based line of the field in the entity. */
  line: number;
}

export interface MimeEntity {
  headers: HeaderField[];
  body: string;
  /** 1-based line of the entity where the body starts. */
  bodyLine: number;
}

const FIELD = /^([!-9;-~]+)[ \t]*:(.*)$/;

export function parseEntity(text: string): MimeEntity {
  const headers: HeaderField[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    const end = nl === -1 ? text.length : nl;
    const raw = text.slice(pos, end).replace(/\r$/, "");
    const next = nl === -1 ? text.length : nl + 1;
    if (raw === "") return { headers, body: text.slice(next), bodyLine: line + 1 };
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(raw) && last) {
      last.value = `${last.value} ${raw.trim()}`.trim();
    } else {
      const m = FIELD.exec(raw);
      // Not a header line and no blank line before it: the body starts here (a lenient reading of a
      // missing separator, as mail readers do).
      if (!m) return { headers, body: text.slice(pos), bodyLine: line };
      headers.push({ name: m[1]!.toLowerCase(), value: m[2]!.trim(), line });
    }
    pos = next;
    line++;
  }
  return { headers, body: "", bodyLine: line };
}

export const headerOf = (e: MimeEntity, name: string) => e.headers.find((h) => h.name === name);

export interface HeaderValue {
  /** The value before any parameter, lower-cased (e.g. "multipart/mixed", "attachment"). */
  value: string;
  /** Parameters by lower-cased name, quotes and escapes removed. */
  params: Record<string, string>;
}

/** Splits `type/sub; a=b; c="d e"` (Content-Type, Content-Disposition) into value and parameters. */
export function parseHeaderValue(raw: string): HeaderValue {
  const semi = raw.indexOf(";");
  const value = (semi === -1 ? raw : raw.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  let i = semi === -1 ? raw.length : semi + 1;
  while (i < raw.length) {
    const eq = raw.indexOf("=", i);
    if (eq === -1) break;
    const stray = raw.indexOf(";", i);
    if (stray !== -1 && stray < eq) {
      i = stray + 1; // a parameter without "=": skipped
      continue;
    }
    const name = raw.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (raw[j] === " " || raw[j] === "\t") j++;
    let v = "";
    if (raw[j] === '"') {
      j++;
      while (j < raw.length && raw[j] !== '"') {
        if (raw[j] === "\\" && j + 1 < raw.length) j++;
        v += raw[j];
        j++;
      }
      const close = raw.indexOf(";", j);
      i = close === -1 ? raw.length : close + 1;
    } else {
      const close = raw.indexOf(";", j);
      v = raw.slice(j, close === -1 ? raw.length : close).trim();
      i = close === -1 ? raw.length : close + 1;
    }
    if (name !== "" && !Object.hasOwn(params, name)) params[name] = v;
  }
  return { value, params };
}
