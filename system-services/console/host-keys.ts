// SSH host keys, kept under /var/lib/rancher/conf/ssh so the host's identity outlives the console
// container (a console switch, a new image). `rancher.ssh.keys` (RancherOS's map) installs given keys
// instead; a bad one is reported by name and the generated key stands in for it.
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { atomicWrite } from "../../os/atomic-write.ts";
import { run } from "../../os/exec.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";

const TYPES = ["ed25519", "ecdsa", "rsa"] as const;
export type KeyType = (typeof TYPES)[number];
/** The algorithm a public key of each type names. */
const ALGORITHM: Record<KeyType, RegExp> = { ed25519: /^ssh-ed25519$/, ecdsa: /^ecdsa-sha2-nistp(256|384|521)$/, rsa: /^ssh-rsa$/ };
const NAMES_HINT = "use ssh_host_ed25519_key, ssh_host_ecdsa_key or ssh_host_rsa_key, each with an optional .pub";

export interface ConfiguredKey {
  type: KeyType;
  private: string;
  public?: string;
}

const where = (name: string) => `rancher.ssh.keys.${name}`;

/** Sorts `rancher.ssh.keys` into one entry per key type; a name it cannot use is an error naming it. */
export function parseConfiguredKeys(keys: Record<string, string>): { keys: ConfiguredKey[]; errors: string[] } {
  const errors: string[] = [];
  const found = new Map<KeyType, { private?: string; public?: string }>();
  for (const [name, value] of Object.entries(keys)) {
    const m = /^ssh_host_([a-z0-9]+)_key(\.pub)?$/.exec(name);
    const type = TYPES.find((t) => t === m?.[1]);
    if (!type) {
      errors.push(m?.[1] === "dsa" ? `${where(name)}: OpenSSH no longer offers DSA host keys; ignored (${NAMES_HINT})` : `${where(name)}: not a host key name; ignored (${NAMES_HINT})`);
      continue;
    }
    const entry = found.get(type) ?? {};
    entry[m![2] ? "public" : "private"] = value;
    found.set(type, entry);
  }
  const parsed: ConfiguredKey[] = [];
  for (const type of TYPES) {
    const entry = found.get(type);
    if (!entry) continue;
    if (entry.private === undefined) errors.push(`${where(`ssh_host_${type}_key.pub`)}: has no ssh_host_${type}_key beside it; ignored (give the private key too)`);
    else parsed.push({ type, private: entry.private, ...(entry.public !== undefined ? { public: entry.public } : {}) });
  }
  return { keys: parsed, errors };
}

/** YAML `|-` drops the final newline, and OpenSSH refuses a PEM block without it. */
const pem = (text: string) => `${text.replace(/\r\n/g, "\n").trim()}\n`;

/** The public half of a private key file, as "algorithm base64"; throws when the file holds no usable key. */
async function publicKeyOf(file: string): Promise<string> {
  // -P "": a passphrase-protected key fails instead of prompting; sshd could not unlock it either.
  const [algorithm, blob] = (await run("ssh-keygen", ["-y", "-P", "", "-f", file])).stdout.trim().split(/\s+/);
  return `${algorithm} ${blob}`;
}

const configuredDir = () => join(paths.sshHostKeys, "configured");

async function installConfigured(key: ConfiguredKey): Promise<string | undefined> {
  const name = `ssh_host_${key.type}_key`;
  const file = join(configuredDir(), name);
  atomicWrite(file, pem(key.private), 0o600);
  let pub: string;
  try {
    pub = await publicKeyOf(file);
  } catch (e) {
    rmSync(file, { force: true });
    log("console", `${where(name)}: not a usable private key (${(e as Error).message}); ${key.type === "ed25519" ? "using the generated key" : "ignored"}`);
    return undefined;
  }
  const algorithm = pub.split(" ")[0]!;
  if (!ALGORITHM[key.type].test(algorithm)) {
    rmSync(file, { force: true });
    log("console", `${where(name)}: holds a ${algorithm} key, not ${key.type}; ignored (put it under the name of its type)`);
    return undefined;
  }
  const given = key.public?.trim();
  const matches = given !== undefined && given.split(/\s+/).slice(0, 2).join(" ") === pub;
  if (given !== undefined && !matches) log("console", `${where(`${name}.pub`)}: does not match ${name}; using the public key derived from ${name}`);
  // The given .pub keeps its comment; otherwise the one derived from the private key.
  atomicWrite(`${file}.pub`, `${matches ? given : pub}\n`, 0o644);
  return file;
}

/** The persisted ed25519 key, generated on first use (or when the file was damaged). */
async function generatedKey(): Promise<string | undefined> {
  const file = join(paths.sshHostKeys, "ssh_host_ed25519_key");
  if (existsSync(file)) {
    try {
      await publicKeyOf(file);
      return file;
    } catch (e) {
      log("console", `${file} is damaged (${(e as Error).message}); generating a new host key`);
    }
  }
  // Generated beside it, then renamed: a power cut mid-write leaves the old key or none, never half of one.
  const tmp = `${file}.new`;
  try {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.pub`, { force: true });
    // ed25519 only: an RSA key takes many seconds to generate under emulation, and every current client speaks ed25519.
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", tmp]);
    renameSync(`${tmp}.pub`, `${file}.pub`);
    renameSync(tmp, file);
  } catch (e) {
    log("console", `cannot generate an SSH host key in ${paths.sshHostKeys}: ${(e as Error).message}`);
    return undefined;
  }
  log("console", `generated SSH host key ${file}`);
  return file;
}

/**
 * The host keys for sshd (private key paths, ed25519 first): each usable configured key, and the
 * generated ed25519 key unless an ed25519 key is configured. A bad key never throws: it is logged
 * and left out.
 */
export async function hostKeys(configured: Record<string, string> = {}): Promise<string[]> {
  mkdirSync(paths.sshHostKeys, { recursive: true });
  chmodSync(paths.sshHostKeys, 0o700);
  mkdirSync(configuredDir(), { recursive: true, mode: 0o700 });
  const { keys, errors } = parseConfiguredKeys(configured);
  for (const e of errors) log("console", e);
  const files: string[] = [];
  for (const key of keys) {
    const file = await installConfigured(key);
    if (file) files.push(file);
  }
  // Keys dropped from the config must not stay on disk or be offered again.
  const keep = new Set(files.flatMap((f) => [basename(f), `${basename(f)}.pub`]));
  for (const f of readdirSync(configuredDir())) if (!keep.has(f)) rmSync(join(configuredDir(), f), { force: true });
  if (!files.some((f) => f.endsWith("ssh_host_ed25519_key"))) {
    const generated = await generatedKey();
    if (generated) files.unshift(generated);
  }
  return files;
}
