// The upgrade image's manifest (release.json, the tar's first entry) and its optional ed25519
// signature (release.json.sig, the second): the manifest holds the files' checksums, so a valid
// signature over its exact bytes vouches for the whole image.
import { createPublicKey, sign, verify, type KeyObject } from "node:crypto";

export const IMAGE_FILES = ["vmlinuz", "initrd"] as const;
export type ImageFile = (typeof IMAGE_FILES)[number];

export interface UpgradeRelease { format: 1; version: string; sha256: Record<ImageFile, string> }

export const MANIFEST = "release.json";
export const SIGNATURE = "release.json.sig";

export const signManifest = (manifest: Buffer, privateKey: KeyObject): string => `${sign(null, manifest, privateKey).toString("base64")}\n`;

export const manifestSigned = (manifest: Buffer, signature: Buffer, publicKey: KeyObject): boolean =>
  verify(null, manifest, publicKey, Buffer.from(signature.toString("utf8").trim(), "base64"));

/** rancher.upgrade.public_key: a PEM public key, or the base64 inside one on a single line. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  const key = t.startsWith("-----BEGIN") ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, "base64"), format: "der", type: "spki" });
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`the key is ${key.asymmetricKeyType}, and upgrade images are signed with ed25519`);
  return key;
}

/** What release.json must hold; anything else is not an image this version can take. */
export function parseManifest(data: Buffer): UpgradeRelease {
  let v: unknown;
  try {
    v = JSON.parse(data.toString("utf8"));
  } catch (e) {
    throw new Error(`${MANIFEST} is not JSON: ${(e as Error).message}`);
  }
  const r = v as Partial<UpgradeRelease>;
  if (r?.format !== 1) throw new Error(`${MANIFEST}: format ${JSON.stringify(r?.format)} is not one this version reads (1)`);
  if (typeof r.version !== "string" || !/^[\w.+-]{1,64}$/.test(r.version)) throw new Error(`${MANIFEST}: no valid version`);
  for (const f of IMAGE_FILES) if (!/^[0-9a-f]{64}$/.test(r.sha256?.[f] ?? "")) throw new Error(`${MANIFEST}: no sha256 for ${f}`);
  return { format: 1, version: r.version, sha256: { vmlinuz: r.sha256!.vmlinuz, initrd: r.sha256!.initrd } };
}
