// The upgrade image `ros os upgrade` will take: one tar of the kernel, the initrd, release.json
// (version and checksums) and SHA256SUMS (so `sha256sum -c` checks an unpacked copy by hand).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, renameSync, statSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

export interface UpgradeRelease { format: 1; version: string; sha256: Record<"vmlinuz" | "initrd", string> }

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export async function writeUpgradeImage(vmlinuz: string, initrd: string, version: string, out: string): Promise<UpgradeRelease> {
  const release: UpgradeRelease = { format: 1, version, sha256: { vmlinuz: await sha256(vmlinuz), initrd: await sha256(initrd) } };
  const sums = `${release.sha256.vmlinuz}  vmlinuz\n${release.sha256.initrd}  initrd\n`;
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(`${out}.tmp`));
  const mtime = new Date();
  // release.json first: a reader knows what follows before the big files arrive.
  pack.entry({ name: "release.json", mtime }, `${JSON.stringify(release, null, 2)}\n`);
  pack.entry({ name: "SHA256SUMS", mtime }, sums);
  for (const [name, file] of [["vmlinuz", vmlinuz], ["initrd", initrd]] as const) {
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name, size: statSync(file).size, mode: 0o644, mtime }, (e) => (e ? reject(e) : resolve()));
      createReadStream(file).on("error", reject).pipe(entry);
    });
  }
  pack.finalize();
  await written;
  renameSync(`${out}.tmp`, out);
  return release;
}
