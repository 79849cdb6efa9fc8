// User and group names to ids, read from passwd and group files themselves (not through NSS), so
// the same code answers for the console's /etc, a temp root in a test, or another container's /etc.
import { existsSync, readFileSync } from "node:fs";
import { paths } from "../../os/paths.ts";
import type { Owner } from "./file-spec.ts";

export interface Account { name: string; uid: number; gid: number; home: string; shell: string }
export interface Accounts { users: Map<string, Account>; groups: Map<string, number> }

export function parseAccounts(passwd: string, group: string): Accounts {
  const users = new Map<string, Account>();
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || !f[0]) continue;
    users.set(f[0], { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! });
  }
  const groups = new Map<string, number>();
  for (const line of group.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[0]) groups.set(f[0], Number(f[2]));
  }
  return { users, groups };
}

const readIf = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

/** The accounts of this root (re-read each time: users may just have been created). */
export const localAccounts = (): Accounts => parseAccounts(readIf(paths.etcPasswd), readIf(paths.etcGroup));

/**
 * Numeric ids for an owner; a group left out is -1 (chown leaves it). Names must exist; numbers are
 * taken as given. `where` and `hint` complete the error for a name that does not exist.
 */
export function ownerIds(owner: Owner, accounts: Accounts, where: string, hint: string): { uid: number; gid: number } {
  const id = (name: string, kind: "user" | "group"): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const found = kind === "user" ? accounts.users.get(name)?.uid : accounts.groups.get(name);
    // root is root even where no passwd file exists (a minimal container).
    if (found === undefined && name === "root") return 0;
    if (found === undefined) throw new Error(`${kind} "${name}" does not exist in ${where}: ${hint}`);
    return found;
  };
  return { uid: id(owner.user, "user"), gid: owner.group === undefined ? -1 : id(owner.group, "group") };
}
