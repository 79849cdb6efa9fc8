// The bytes of Docker's logs endpoint (with timestamps) as lines: multiplexed frames
// (`[stream, 0, 0, 0, size(4, big-endian)]` then the payload, one log entry each) for containers
// without a TTY, a raw stream of lines for those with one (all stdout).

export type Stream = "stdout" | "stderr";

export interface DockerLine {
  stream: Stream;
  /** µs since the epoch, as Docker stamped the line when the container wrote it. */
  realtime: number;
  text: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;

/** `2024-11-23T10:00:01.123456789Z text` → its time in µs and the text; undefined without a stamp. */
export function splitStamp(line: string): { realtime: number; text: string } | undefined {
  const m = STAMP.exec(line);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const micros = Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
  return { realtime: seconds * 1000 + micros, text: line.slice(m[0].length) };
}

export class DockerLogDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): DockerLine[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: DockerLine[] = [];
    if (this.tty) {
      const nl = this.buf.lastIndexOf(10);
      if (nl < 0) return out;
      this.lines("stdout", this.buf.toString("utf8", 0, nl), out);
      this.buf = this.buf.subarray(nl + 1);
      return out;
    }
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      this.lines(this.buf[0] === 2 ? "stderr" : "stdout", this.buf.toString("utf8", 8, 8 + size), out);
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** A TTY container's last line, when it ended without a newline. */
  end(): DockerLine[] {
    const out: DockerLine[] = [];
    if (this.tty && this.buf.length) this.lines("stdout", this.buf.toString("utf8"), out);
    this.buf = Buffer.alloc(0);
    return out;
  }

  private lines(stream: Stream, payload: string, out: DockerLine[]): void {
    for (const raw of payload.split("\n")) {
      const s = splitStamp(raw.replace(/\r$/, ""));
      if (s) out.push({ stream, ...s });
    }
  }
}
