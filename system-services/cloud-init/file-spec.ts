// What a write_files entry asks for, read as cloud-init reads it: the content decoded, the mode and
// the owner parsed. Pure; errors name the field and what to write instead.
import { gunzipSync } from "node:zlib";
import type { WriteFile } from "../../cloud-config/schema/index.ts";

/** cloud-init's defaults: root:root, 0644. */
export const DEFAULT_MODE = 0o644;
export const DEFAULT_OWNER = { user: "root", group: "root" };

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function fromBase64(content: string): Buffer {
  if (!BASE64.test(content)) throw new Error("content is not base64 (encoding: b64): check it was pasted whole, or drop encoding:");
  return Buffer.from(content, "base64");
}

function gunzip(data: Buffer, encoding: string): Buffer {
  try {
    return gunzipSync(data);
  } catch {
    const hint = encoding.includes("b") ? "compress it with gzip, then base64-encode it" : "gzip data must be base64-encoded in YAML: use encoding: gz+b64";
    throw new Error(`content is not gzip data (encoding: ${encoding}): ${hint}`);
  }
}

export function decodeContent(content: string, encoding: WriteFile["encoding"]): Buffer {
  switch (encoding) {
    case undefined:
    case "text/plain":
      return Buffer.from(content, "utf8");
    case "b64":
    case "base64":
      return fromBase64(content);
    case "gz":
    case "gzip":
      // Without base64 the only way to carry gzip in YAML is one byte per character.
      return gunzip(Buffer.from(content, "latin1"), encoding);
    default:
      return gunzip(fromBase64(content), encoding);
  }
}

/** "0644", "644", "0o644", or the number YAML 1.1 makes of an unquoted 0644. */
export function parseMode(permissions: WriteFile["permissions"]): number {
  if (permissions === undefined) return DEFAULT_MODE;
  if (typeof permissions === "number") return permissions;
  return parseInt(permissions.replace(/^0o/, ""), 8);
}

export interface Owner { user: string; group?: string }

/** "user" or "user:group"; without a group, the file's group is left as it is (as cloud-init does). */
export function parseOwner(owner: string | undefined): Owner {
  if (owner === undefined) return DEFAULT_OWNER;
  const [user, group, extra] = owner.split(":");
  if (!user || group === "" || extra !== undefined) throw new Error(`owner "${owner}" must be "user" or "user:group", like root:root`);
  return group === undefined ? { user } : { user, group };
}
