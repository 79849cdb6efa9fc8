// Syslog messages as programs send them to /dev/log: the framing on a stream socket (a newline or
// a NUL after each message, or RFC 6587 octet counting) and the message itself, RFC 3164 (BSD,
// with or without a host name) or RFC 5424.

export interface SyslogMessage {
  /** Severity 0–7. */
  priority: number;
  facility: number;
  tag?: string;
  pid?: number;
  hostname?: string;
  msgid?: string;
  message: string;
}

/** What RFC 3164 says a message without a <PRI> header is: user.notice. */
const DEFAULT_PRI = 13;
const BSD_TIME = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)? /;
const TAG = /^([^\s:[\]]{1,64})(?:\[(\d+)\])?:(?: |$)/;
const HOST_TAG = /^(\S+) ([^\s:[\]]{1,64})(?:\[(\d+)\])?:(?: |$)/;

/** A `tag[pid]: ` prefix, as syslog(3) and the kernel's userspace writers put it. */
export function splitTag(text: string): { tag?: string; pid?: number; message: string } {
  const m = TAG.exec(text);
  if (!m) return { message: text };
  return { tag: m[1]!, ...(m[2] ? { pid: Number(m[2]) } : {}), message: text.slice(m[0].length) };
}

export function parseSyslog(text: string): SyslogMessage {
  const head = /^<(\d{1,3})>/.exec(text);
  const pri = head ? Number(head[1]) : DEFAULT_PRI;
  // A header out of range is no header: the text is kept as it came.
  if (pri > 191) return { priority: DEFAULT_PRI & 7, facility: DEFAULT_PRI >> 3, message: text };
  const rest = head ? text.slice(head[0].length) : text;
  const base = { priority: pri & 7, facility: pri >> 3 };
  if (/^1 /.test(rest)) return { ...base, ...parse5424(rest.slice(2)) };

  const time = BSD_TIME.exec(rest) ?? ISO_TIME.exec(rest);
  const body = time ? rest.slice(time[0].length) : rest;
  const own = splitTag(body);
  if (own.tag || !time) return { ...base, ...own };
  // After a timestamp, RFC 3164 puts the sender's host name; programs on this host leave it out.
  const m = HOST_TAG.exec(body);
  if (!m) return { ...base, message: body };
  return { ...base, hostname: m[1]!, tag: m[2]!, ...(m[3] ? { pid: Number(m[3]) } : {}), message: body.slice(m[0].length) };
}

/** `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]` after the version. */
function parse5424(text: string): Omit<SyslogMessage, "priority" | "facility"> {
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const sp = text.indexOf(" ", at);
    if (sp < 0) return { message: text };
    parts.push(text.slice(at, sp));
    at = sp + 1;
  }
  const [, host, app, procid, msgid] = parts.map((p) => (p === "-" ? undefined : p));
  const msgStart = skipStructuredData(text, at);
  const message = text.slice(msgStart).replace(/^ /, "").replace(/^\uFEFF/, "");
  return {
    message,
    ...(host ? { hostname: host } : {}),
    ...(app ? { tag: app } : {}),
    ...(procid && /^\d+$/.test(procid) ? { pid: Number(procid) } : {}),
    ...(msgid ? { msgid } : {}),
  };
}

/** The index just after STRUCTURED-DATA: `-` or `[id k="v"]…`, where a quoted value may hold `\]`. */
function skipStructuredData(text: string, at: number): number {
  if (text[at] === "-") return at + 1;
  let i = at;
  while (text[i] === "[") {
    let quoted = false;
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (quoted && c === "\\") i++;
      else if (c === '"') quoted = !quoted;
      else if (c === "]" && !quoted) break;
    }
    i++;
  }
  return i;
}

/** The longest message kept whole; a sender that never ends one has it cut here. */
export const MAX_MESSAGE_BYTES = 64 << 10;

/** Splits one connection's bytes into messages; the framing is decided by what arrives first. */
export class SyslogFramer {
  private buf: Buffer = Buffer.alloc(0);
  private mode?: "octets" | "nul" | "newline";

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const m = this.next();
      if (m === undefined) break;
      if (m.length) out.push(m);
    }
    return out;
  }

  /** What is left when the sender closes: its last message, if it did not end it. */
  end(): string[] {
    this.mode ??= this.buf.includes(0) ? "nul" : "newline";
    const out = this.push(Buffer.alloc(0));
    const m = clean(this.buf.toString("utf8"));
    this.buf = Buffer.alloc(0);
    return m ? [...out, m] : out;
  }

  private take(n: number, skip: number): string {
    const m = this.buf.toString("utf8", 0, n);
    this.buf = this.buf.subarray(n + skip);
    return clean(m);
  }

  private next(): string | undefined {
    if (!this.buf.length) return undefined;
    if (this.mode === undefined) {
      if (/^\d{1,6} </.test(this.buf.toString("latin1", 0, 8))) this.mode = "octets";
      // glibc ends each message with a NUL and may have newlines inside; logger ends each with a
      // newline, and a send ends with its delimiter.
      else if (this.buf.includes(0)) this.mode = "nul";
      else if (this.buf[this.buf.length - 1] === 10) this.mode = "newline";
    }
    if (this.mode === "octets") {
      const start = this.buf.toString("latin1", 0, 8);
      const head = /^(\d{1,6}) /.exec(start);
      if (head) {
        const len = Number(head[1]);
        if (this.buf.length < head[0].length + len) return undefined;
        this.buf = this.buf.subarray(head[0].length);
        return this.take(len, 0);
      }
      if (/^\d{0,6}$/.test(start)) return undefined;
      // Not a count after all: the sender ends its messages with newlines.
      this.mode = "newline";
    }
    const at = this.mode ? this.buf.indexOf(this.mode === "nul" ? 0 : 10) : -1;
    if (at >= 0) return this.take(at, 1);
    return this.buf.length > MAX_MESSAGE_BYTES ? this.take(this.buf.length, 0) : undefined;
  }
}

const clean = (m: string) => m.replace(/[\r\n\0]+$/, "");
