// Unpacks an upgrade image into a folder as it streams in: release.json (and its signature, when a
// key is configured) is checked before any byte of the kernel or initrd is written, each file is
// hashed as it is written, and only a complete image that matches its checksums is renamed into
// place. Anything short of that leaves no file behind but the `.part` ones, which are removed.
import { createHash, type KeyObject } from "node:crypto";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { IMAGE_FILES, MANIFEST, SIGNATURE, manifestSigned, parseManifest, type ImageFile, type UpgradeRelease } from "./release.ts";

/** The image is not one to install (wrong format, checksum, signature); nothing of it is kept. */
export class ImageRejected extends Error {}

export interface ReceiveOptions {
  publicKey?: KeyObject;
  /** Called with the verified manifest before any file is written; throwing refuses the image. */
  accept?: (r: UpgradeRelease) => void;
  onBytes?: (n: number) => void;
}

const MANIFEST_MAX = 64 * 1024;

async function readSmall(stream: Readable, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > MANIFEST_MAX) throw new ImageRejected(`${name} is over ${MANIFEST_MAX / 1024} KiB: not a Corral upgrade image`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function writeHashed(stream: Readable, file: string): Promise<string> {
  const h = createHash("sha256");
  stream.on("data", (c: Buffer) => h.update(c));
  await pipeline(stream, createWriteStream(file));
  return h.digest("hex");
}

export async function receiveImage(src: Readable, dir: string, o: ReceiveOptions = {}): Promise<UpgradeRelease> {
  const part = (f: ImageFile) => join(dir, `${f}.part`);
  let manifest: Buffer | undefined;
  let release: UpgradeRelease | undefined;
  let signed = false;
  let accepted = false;
  let first = true;
  const written = new Set<ImageFile>();

  const entry = async (name: string, stream: Readable): Promise<void> => {
    const isFirst = first;
    first = false;
    if (isFirst && name !== MANIFEST) throw new ImageRejected(`not a Corral upgrade image: it starts with ${JSON.stringify(name)}, not ${MANIFEST}`);
    if (name === MANIFEST) {
      if (!isFirst) throw new ImageRejected(`${MANIFEST} appears twice`);
      manifest = await readSmall(stream, name);
      try {
        release = parseManifest(manifest);
      } catch (e) {
        throw new ImageRejected((e as Error).message);
      }
      return;
    }
    if (name === SIGNATURE) {
      const sig = await readSmall(stream, name);
      if (o.publicKey && !manifestSigned(manifest!, sig, o.publicKey)) throw new ImageRejected(`${SIGNATURE} does not verify with rancher.upgrade.public_key: the image was not signed by that key, or was changed after signing`);
      signed = true;
      return;
    }
    const file = IMAGE_FILES.find((f) => f === name);
    if (!file) {
      stream.resume();
      await new Promise((r) => stream.on("end", r));
      return;
    }
    if (o.publicKey && !signed) throw new ImageRejected(`the image is not signed (no ${SIGNATURE}), and rancher.upgrade.public_key requires a signature`);
    if (!accepted) {
      o.accept?.(release!);
      accepted = true;
    }
    if (written.has(file)) throw new ImageRejected(`${file} appears twice`);
    const sum = await writeHashed(stream, part(file));
    if (sum !== release!.sha256[file]) throw new ImageRejected(`${file}: sha256 ${sum}, but ${MANIFEST} says ${release!.sha256[file]}: the image is damaged`);
    written.add(file);
  };

  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    entry(header.name.replace(/^\.\//, ""), stream).then(() => next(), (e: Error) => extract.destroy(e));
  });
  if (o.onBytes) src.on("data", (c: Buffer) => o.onBytes!(c.length));
  try {
    await pipeline(src, extract);
    if (!release) throw new ImageRejected(`the image is empty: no ${MANIFEST}`);
    const missing = IMAGE_FILES.filter((f) => !written.has(f));
    if (missing.length) throw new ImageRejected(`the image ends without ${missing.join(" and ")}: it is cut short`);
  } catch (e) {
    for (const f of IMAGE_FILES) rmSync(part(f), { force: true });
    throw e;
  }
  for (const f of IMAGE_FILES) renameSync(part(f), join(dir, f));
  return release!;
}
