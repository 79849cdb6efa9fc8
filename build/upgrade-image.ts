// The upgrade image `ros os upgrade` takes: one tar of release.json (version and checksums), its
// ed25519 signature when the build has a key, SHA256SUMS (so `sha256sum -c` checks an unpacked copy
// by hand), the kernel and the initrd. Format: os/upgrade/release.ts.
import { createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { createReadStream, createWriteStream, readFileSync, renameSync, statSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { IMAGE_FILES, MANIFEST, SIGNATURE, signManifest, type UpgradeRelease } from "../os/upgrade/release.ts";

/** CORRAL_UPGRADE_KEY: an ed25519 private key (PEM) the build signs the upgrade image with. */
export function upgradeSigningKey(): KeyObject | undefined {
  const file = process.env.CORRAL_UPGRADE_KEY;
  if (!file) return undefined;
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`CORRAL_UPGRADE_KEY=${file}: a ${key.asymmetricKeyType} key; upgrade images are signed with ed25519 (openssl genpkey -algorithm ed25519)`);
  return key;
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export async function writeUpgradeImage(files: Record<(typeof IMAGE_FILES)[number], string>, version: string, out: string, signingKey?: KeyObject): Promise<UpgradeRelease> {
  const release: UpgradeRelease = { format: 1, version, sha256: { vmlinuz: await sha256(files.vmlinuz), initrd: await sha256(files.initrd) } };
  const manifest = Buffer.from(`${JSON.stringify(release, null, 2)}\n`);
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(`${out}.tmp`));
  const mtime = new Date();
  // release.json first, then its signature: a reader checks both before the big files arrive.
  pack.entry({ name: MANIFEST, mtime }, manifest);
  if (signingKey) pack.entry({ name: SIGNATURE, mtime }, signManifest(manifest, signingKey));
  pack.entry({ name: "SHA256SUMS", mtime }, IMAGE_FILES.map((f) => `${release.sha256[f]}  ${f}\n`).join(""));
  for (const name of IMAGE_FILES) {
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name, size: statSync(files[name]).size, mode: 0o644, mtime }, (e) => (e ? reject(e) : resolve()));
      createReadStream(files[name]).on("error", reject).pipe(entry);
    });
  }
  pack.finalize();
  await written;
  renameSync(`${out}.tmp`, out);
  return release;
}
