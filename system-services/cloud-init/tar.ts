// The few tar bytes Docker's archive API speaks: one regular file packed (putArchive), and the
// first file of an archive read back (getArchive of a single file). POSIX ustar layout.
const BLOCK = 512;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, length, "utf8");
}
/** Octal, zero-padded, NUL-terminated, as ustar numbers are. */
const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0") + "\0";

/** Splits a long path into ustar's prefix (155) and name (100), at a slash. */
function splitName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`path ${path} is too long to copy into a container (at most 255 bytes)`);
}

export interface TarEntry { path: string; data: Buffer; mode: number; uid: number; gid: number }

/** A tar archive holding one regular file, `path` relative to where Docker extracts it. */
export function tarFile(e: TarEntry): Buffer {
  const header = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(e.path);
  field(header, 0, 100, name);
  field(header, 100, 8, octal(e.mode, 8));
  field(header, 108, 8, octal(e.uid, 8));
  field(header, 116, 8, octal(e.gid, 8));
  field(header, 124, 12, octal(e.data.length, 12));
  field(header, 136, 12, octal(Math.floor(Date.now() / 1000), 12));
  field(header, 148, 8, " ".repeat(8));
  field(header, 156, 1, "0");
  field(header, 257, 6, "ustar\0");
  field(header, 263, 2, "00");
  field(header, 345, 155, prefix);
  // The checksum is the byte sum of the header with its own field read as spaces.
  let sum = 0;
  for (const b of header) sum += b;
  field(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  const padding = Buffer.alloc((BLOCK - (e.data.length % BLOCK)) % BLOCK);
  return Buffer.concat([header, e.data, padding, Buffer.alloc(2 * BLOCK)]);
}

/** The content of the first entry of an archive, if it is a regular file. */
export function firstFileOfTar(archive: Buffer): Buffer | undefined {
  if (archive.length < BLOCK) return undefined;
  const type = String.fromCharCode(archive[156]!);
  if (type !== "0" && type !== "\0") return undefined;
  const size = parseInt(archive.toString("latin1", 124, 136).replace(/\0.*$/, "").trim() || "0", 8);
  return archive.subarray(BLOCK, BLOCK + size);
}
