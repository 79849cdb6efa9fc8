// `users`: accounts made with the real shadow tools (useradd, usermod, groupadd), sudo rules in one
// sudoers.d file checked by visudo, and each user's SSH keys. Under a ROS_ROOT other than / the
// tools work on that tree (--prefix), never on the machine's own /etc.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { MASK } from "../../cloud-config/secrets.ts";
import { atomicWrite } from "../../os/atomic-write.ts";
import { run } from "../../os/exec.ts";
import { paths, ROS_ROOT } from "../../os/paths.ts";
import { localAccounts, type Account } from "./accounts.ts";

export type UserEntry = NonNullable<CloudConfig["users"]>[number];
type UserSpec = Exclude<UserEntry, string>;

/** cloud-init's file name for the rules of `users:` (one file for every user). */
export const SUDOERS_FILE = "90-cloud-init-users";

const prefix = ROS_ROOT === "/" ? [] : ["--prefix", ROS_ROOT];

/** A user entry as a map; "default" is the distribution's default user (Corral's rancher). */
export function userSpec(entry: UserEntry, defaultUser: string): UserSpec {
  if (typeof entry !== "string") return entry;
  return { name: entry === "default" ? defaultUser : entry };
}

/** groups: as "a, b", [a, b] or cloud-init's map form {a: null, b: [members]} (its keys). */
export function groupNames(groups: UserSpec["groups"]): string[] {
  if (groups === undefined) return [];
  const names = typeof groups === "string" ? groups.split(",") : Array.isArray(groups) ? groups : Object.keys(groups);
  return names.map((g) => g.trim()).filter(Boolean);
}

/** The sudoers lines for one user: a rule, a list of rules, or none (false/null). */
export function sudoLines(u: UserSpec): string[] {
  if (u.sudo === undefined || u.sudo === null || u.sudo === false) return [];
  const rules = Array.isArray(u.sudo) ? u.sudo : [u.sudo];
  for (const r of rules) if (/[\n\r]/.test(r)) throw new Error(`sudo rule ${JSON.stringify(r)} spans lines: write one rule per list item`);
  return rules.map((r) => `${u.name} ${r}`);
}

/** The useradd arguments for a new user (the name last). */
export function useraddArgs(u: UserSpec): string[] {
  const groups = groupNames(u.groups);
  return [
    ...prefix,
    u.no_create_home ? "-M" : "-m",
    ...(u.primary_group ? ["-g", u.primary_group] : u.no_user_group ? ["-N"] : ["-U"]),
    ...(groups.length ? ["-G", groups.join(",")] : []),
    ...(u.shell ? ["-s", u.shell] : []),
    ...(u.gecos ? ["-c", u.gecos] : []),
    ...(u.homedir ? ["-d", u.homedir] : []),
    ...(u.system ? ["-r"] : []),
    ...(u.uid !== undefined ? ["-u", String(u.uid)] : []),
    u.name,
  ];
}

async function ensureGroups(names: string[]): Promise<void> {
  const known = localAccounts().groups;
  // cloud-init creates the groups a user is put in when they do not exist.
  for (const g of names) if (!known.has(g)) await run("groupadd", [...prefix, g]);
}

async function setPassword(u: UserSpec, created: boolean): Promise<void> {
  const hash = u.hashed_passwd ?? u.passwd;
  if (hash !== undefined) {
    // usermod's failure names its arguments, and the failure reaches the log: not the hash.
    await run("usermod", [...prefix, "-p", hash, u.name]).catch((e: Error) => Promise.reject(new Error(e.message.replaceAll(hash, MASK))));
    if (u.lock_passwd !== false) await run("usermod", [...prefix, "-L", u.name]);
  } else if (created) {
    // useradd leaves "!" (locked), which sshd without PAM reads as "no logins at all"; "*" matches
    // no password yet lets SSH keys in.
    await run("usermod", [...prefix, "-p", "*", u.name]);
  }
}

/** Adds the keys the user's authorized_keys lacks; keys put there by others stay. */
function addAuthorizedKeys(account: Account, keys: string[]): void {
  const dir = join(ROS_ROOT, account.home, ".ssh");
  const file = join(dir, "authorized_keys");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  chownSync(dir, account.uid, account.gid);
  const have = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.trim()) : [];
  const all = [...have, ...keys.map((k) => k.trim()).filter((k) => !have.includes(k))];
  atomicWrite(file, all.join("\n") + "\n", 0o600);
  chownSync(file, account.uid, account.gid);
}

/** Creates or updates one user: an existing one gets the groups and shell added (cloud-init leaves it otherwise). */
export async function applyUser(u: UserSpec): Promise<void> {
  if (u.plain_text_passwd !== undefined) throw new Error("plain_text_passwd is not applied (it would sit in the config in clear): use hashed_passwd, made with mkpasswd -m sha-512");
  const groups = groupNames(u.groups);
  await ensureGroups([...groups, ...(u.primary_group ? [u.primary_group] : [])]);
  const created = !localAccounts().users.has(u.name);
  if (created) await run("useradd", useraddArgs(u));
  else {
    if (groups.length) await run("usermod", [...prefix, "-a", "-G", groups.join(","), u.name]);
    if (u.shell) await run("usermod", [...prefix, "-s", u.shell, u.name]);
  }
  await setPassword(u, created);
  const account = localAccounts().users.get(u.name);
  if (!account) throw new Error(`user ${u.name} is missing from ${paths.etcPasswd} after useradd`);
  if (u.ssh_authorized_keys?.length) addAuthorizedKeys(account, u.ssh_authorized_keys);
}

/**
 * Writes every user's sudo rules into one sudoers.d file, after visudo accepted them: one bad line
 * in sudoers.d stops sudo for everyone, the rancher user included. No rules, no file.
 */
export async function writeSudoers(lines: string[]): Promise<void> {
  const file = join(paths.sudoersD, SUDOERS_FILE);
  if (!lines.length) {
    rmSync(file, { force: true });
    return;
  }
  const text = `# Written by Corral's cloud-init from the users: of the cloud-config.\n${lines.join("\n")}\n`;
  const candidate = `${file}.new`;
  atomicWrite(candidate, text, 0o440);
  try {
    await run("visudo", ["-c", "-f", candidate]);
  } catch (e) {
    rmSync(candidate, { force: true });
    const msg = (e as Error).message;
    throw new Error(`sudo rules refused by visudo, none applied: ${msg.slice(msg.indexOf("): ") + 3)}`);
  }
  atomicWrite(file, text, 0o440);
  rmSync(candidate, { force: true });
}
