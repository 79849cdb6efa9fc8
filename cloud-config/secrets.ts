// Which config values are secrets (passwords, private keys, tokens), masked unless asked for.
import { isMapValue } from "./tree.ts";

export const MASK = "********";

const SECRET_KEY = /^(password|passwd|hashed_passwd|plain_text_passwd|token|secret|auth|.*_key)$/i;
const SECRET_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY)/i;
/**
 * Secrets recognised by their text under any key (write_files content, a service's environment): a
 * PEM private key (RSA, EC, OpenSSH, PKCS#8, encrypted), a Docker Swarm join token.
 */
const SECRET_TEXT = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|SWMTKN-1-/;
const holdsSecretText = (x: unknown) => typeof x === "string" && SECRET_TEXT.test(x);

function secretAt(path: string[]): boolean {
  const key = path[path.length - 1]!;
  const parent = path.slice(0, -1).join(".");
  if (parent === "rancher.ssh.keys") return true;
  if (parent === "rancher.environment" || /^rancher\.services\.[^.]+\.environment$/.test(parent)) return SECRET_ENV.test(key);
  // ssh_authorized_keys are public; the *_key pattern means private keys (ca_key, server_key).
  return SECRET_KEY.test(key) && key !== "public_key";
}

/**
 * Whether the value at `path` (list indexes included) is a secret: one `maskSecrets` hides, or one
 * under rancher.ssh.keys. Error messages must not quote it either, since they reach the boot log.
 */
export function isSecret(path: (string | number)[], value: unknown): boolean {
  const keys = path.filter((s): s is string => typeof s === "string");
  return holdsSecretText(value) || (keys.length > 0 && (secretAt(keys) || keys.slice(0, 3).join(".") === "rancher.ssh.keys"));
}

export function maskSecrets<T>(v: T, path: string[] = []): T {
  if (holdsSecretText(v)) return MASK as T;
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" && /^[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*=/i.test(x) ? x.replace(/=.*/s, `=${MASK}`) : maskSecrets(x, path))) as T;
  if (!isMapValue(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x !== null && typeof x !== "object" && secretAt([...path, k]) ? MASK : maskSecrets(x, [...path, k])])) as T;
}
