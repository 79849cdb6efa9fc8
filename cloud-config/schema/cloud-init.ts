// The cloud-init keys Corral applies (the ones it knows but ignores are in ignored.ts).
import { z } from "zod";
import { absPath, bool, fileMode, hostname, int, ip, list, msg, str, strList } from "./primitives.ts";

const ENCODINGS = ["b64", "base64", "gz", "gzip", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64", "text/plain"] as const;

export const writeFile = z.strictObject({
  path: absPath(),
  content: str().optional(),
  encoding: z.enum(ENCODINGS, { error: msg(`must be one of ${ENCODINGS.join(", ")}`) }).optional(),
  owner: str('"user" or "user:group"').regex(/^[^:\s]+(:[^:\s]+)?$/, msg('must be "user" or "user:group"', "like root:root")).optional(),
  permissions: fileMode().optional(),
  append: bool().optional(),
  defer: bool().optional(),
  /** RancherOS: write the file inside this system service's container instead of on the host. */
  container: str("a service name").optional(),
});

/** A command: a shell line, or an argv list (an empty list is a no-op, as RancherOS read it). */
const command = z.union([z.string(), z.array(str())], { error: msg("must be a shell command or a list of arguments", 'like "echo hi" or [echo, hi]') });

const SUDO_HINT = 'like "ALL=(ALL) NOPASSWD:ALL", or false';
export const user = z.strictObject({
  name: str("a user name").regex(/^[a-z_][a-z0-9_.-]*\$?$/i, msg("must be a user name", "letters, digits, '_', '-' and '.'")),
  gecos: str().optional(),
  groups: z.union([z.string(), z.array(str()), z.record(z.string(), z.unknown())], { error: msg("must be a comma-separated string or a list of group names") }).optional(),
  primary_group: str().optional(),
  sudo: z.union([z.string(), z.array(str()), z.literal(false), z.null()], { error: msg("must be a sudoers rule, a list of rules, or false", SUDO_HINT) }).optional(),
  shell: absPath().optional(),
  homedir: absPath().optional(),
  lock_passwd: bool().optional(),
  hashed_passwd: str().optional(),
  passwd: str().optional(),
  plain_text_passwd: str().optional(),
  ssh_authorized_keys: strList("a list of public keys").optional(),
  system: bool().optional(),
  no_create_home: bool().optional(),
  no_user_group: bool().optional(),
  uid: z.union([int(0, 2 ** 31 - 1), z.string().regex(/^\d+$/, msg("must be a numeric user id"))], { error: msg("must be a numeric user id") }).optional(),
});

const DELAY = msg('must be "now", "+MINUTES" or a number of minutes', 'like "+5"');
const delay = z.union([z.literal("now"), z.string().regex(/^\+\d+$/, DELAY), z.number().int().min(0)], { error: DELAY });

export const cloudInitShape = {
  hostname: hostname().optional(),
  fqdn: hostname().optional(),
  ssh_authorized_keys: strList("a list of public keys", 'put each key on its own line starting with "- "').optional(),
  users: list(z.union([z.string(), user], { error: msg('must be "default", a user name, or a map with name:') })).optional(),
  write_files: list(writeFile, "a list of files", 'each file is a "- path: …" entry').optional(),
  runcmd: list(command, "a list of commands").optional(),
  bootcmd: list(command, "a list of commands").optional(),
  mounts: list(z.array(z.union([z.string(), z.number(), z.null()]), { error: msg("must be a list of fields", "[device, mountpoint, fstype, options, dump, pass]") }).max(6, msg("must have at most 6 fields", "[device, mountpoint, fstype, options, dump, pass]")), "a list of mounts").optional(),
  mount_default_fields: z.array(z.union([z.string(), z.number(), z.null()])).max(6).optional(),
  ntp: z.strictObject({
    enabled: bool().optional(),
    ntp_client: z.enum(["auto", "chrony"], { error: msg('must be "auto" or "chrony"', "Corral's time service is chrony") }).optional(),
    servers: list(str("a host name or address")).optional(),
    pools: list(str("a host name")).optional(),
    peers: list(str("a host name or address")).optional(),
    allow: list(str("an address or network")).optional(),
  }).optional(),
  timezone: str("a time zone").regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, msg("must be a time zone name", "like Europe/Paris or UTC")).optional(),
  manage_resolv_conf: bool().optional(),
  resolv_conf: z.strictObject({
    nameservers: list(ip()).optional(),
    searchdomains: strList().optional(),
    domain: str().optional(),
    sortlist: strList().optional(),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }).optional(),
  growpart: z.strictObject({
    mode: z.union([z.enum(["auto", "growpart", "off"]), z.literal(false)], { error: msg('must be "auto", "growpart", "off" or false') }).optional(),
    devices: strList().optional(),
    ignore_growroot_disabled: bool().optional(),
  }).optional(),
  power_state: z.strictObject({
    mode: z.enum(["poweroff", "reboot", "halt"], { error: msg('must be "poweroff", "reboot" or "halt"') }),
    delay: delay.optional(),
    message: str().optional(),
    timeout: int(0, 86400).optional(),
    condition: z.union([z.boolean(), z.string(), z.array(z.string())], { error: msg("must be true, false, or a command") }).optional(),
  }).optional(),
} as const;

