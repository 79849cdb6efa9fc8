// The tar Docker's archive API speaks (tar-stream): one regular file packed for putArchive, and the
// first file of an archive read back from getArchive of a single file.
import { Readable } from "node:stream";
import tar from "tar-stream";

export interface TarEntry { path: string; data: Buffer; mode: number; uid: number; gid: number }

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A tar archive holding one regular file, `path` relative to where Docker extracts it. */
export function tarFile(e: TarEntry): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(), type: "file" }, e.data);
  pack.finalize();
  return collect(pack);
}

/** The content of the first entry of an archive, if it is a regular file. */
export function firstFileOfTar(archive: Buffer | NodeJS.ReadableStream): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let found: Buffer | undefined;
    let first = true;
    extract.on("entry", (header, stream, next) => {
      const take = first && header.type === "file";
      first = false;
      collect(stream).then((data) => {
        if (take) found = data;
        next();
      }, reject);
    });
    extract.on("finish", () => resolve(found));
    extract.on("error", reject);
    (Buffer.isBuffer(archive) ? Readable.from([archive]) : archive).pipe(extract);
  });
}
