// Docker frames a non-TTY container's output: an 8-byte header per chunk saying stdout (1) or
// stderr (2) and its length. Anything else (a TTY container's raw output) is one stdout chunk.

export type Frame = [stream: 1 | 2, data: Buffer];

export function logFrames(raw: Buffer): Frame[] {
  const out: Frame[] = [];
  let i = 0;
  while (i + 8 <= raw.length && (raw[i] === 1 || raw[i] === 2) && raw.readUIntBE(i + 1, 3) === 0) {
    const len = raw.readUInt32BE(i + 4);
    out.push([raw[i] as 1 | 2, raw.subarray(i + 8, i + 8 + len)]);
    i += 8 + len;
  }
  return i === 0 && raw.length ? [[1, raw]] : out;
}

/** The output as one line of text, stdout and stderr together. */
export const logText = (raw: Buffer) => Buffer.concat(logFrames(raw).map(([, d]) => d)).toString("utf8").trim().split("\n").join(" | ");
