// What a container was made from, as one hash: the create body and the image's ID. A service whose
// fingerprint is unchanged keeps its container; a changed definition or a new image recreates it.
import { createHash } from "node:crypto";

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

export function fingerprint(spec: object, imageId: string): string {
  return createHash("sha256").update(JSON.stringify(canonical(spec))).update(imageId).digest("hex").slice(0, 16);
}
