// Builds Metadata from loosely typed documents (YAML, JSON, plain text answers): keeps the fields
// that hold usable values and drops the rest, so no field is ever present but empty.
import type { Metadata } from "./types.ts";

/** A non-empty trimmed string; numbers (YAML ids, DigitalOcean's droplet_id) become strings. */
export function text(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "bigint") return String(v);
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t === "" ? undefined : t;
}

/**
 * SSH public keys from a string (one per line), a list, or a map of name to key (OpenStack) or of
 * index to { "openssh-key": key } (EC2 style, as NoCloud meta-data may hold).
 */
export function keyList(v: unknown): string[] {
  if (typeof v === "string") return v.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  if (Array.isArray(v)) return v.flatMap(keyList);
  if (v !== null && typeof v === "object") return Object.values(v).flatMap(keyList);
  return [];
}

type Loose = { [K in keyof Metadata]?: unknown };

export function metadata(fields: Loose): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(fields) as [keyof Metadata, unknown][]) {
    if (k === "publicKeys") {
      const keys = [...new Set(keyList(v))];
      if (keys.length) out.publicKeys = keys;
    } else {
      const t = text(v);
      if (t !== undefined) out[k] = t;
    }
  }
  return out;
}

/** Later wins, field by field; publicKeys are joined. */
export function mergeMetadata(...all: Metadata[]): Metadata {
  const out: Metadata = {};
  for (const m of all) {
    for (const [k, v] of Object.entries(m) as [keyof Metadata, Metadata[keyof Metadata]][]) {
      if (k === "publicKeys") out.publicKeys = [...new Set([...(out.publicKeys ?? []), ...(v as string[])])];
      else if (v !== undefined) out[k] = v as string;
    }
  }
  return out;
}
