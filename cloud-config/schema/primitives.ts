// The value shapes the config is built from. Each carries its own message, written `what|hint`,
// which validate.ts turns into `must be …, not <value> (hint)`.
import { isIP } from "node:net";
import { z } from "zod";

export const msg = (what: string, hint?: string) => (hint ? `${what}|${hint}` : what);

export const str = (what = "a string", hint?: string) => z.string({ error: msg(`must be ${what}`, hint) });
export const bool = () => z.boolean({ error: msg("must be true or false", "write true or false, without quotes") });

export const int = (min: number, max: number, what = `an integer from ${min} to ${max}`) => {
  const m = msg(`must be ${what}`);
  return z.number({ error: m }).int({ error: m }).min(min, { error: m }).max(max, { error: m });
};

const LIST_HINT = 'write one "- item" per line';
export const list = <T extends z.ZodType>(item: T, what = "a list", hint = LIST_HINT) => z.array(item, { error: msg(`must be ${what}`, hint) });
export const strList = (what = "a list of strings", hint = LIST_HINT) => list(str(), what, hint);
/** RancherOS and cloud-init often take one string where a list is expected. */
export const strOrList = (what = "a string or a list of strings") => z.union([z.string(), z.array(str())], { error: msg(`must be ${what}`, LIST_HINT) });
export const scalar = (what = "a string, number or boolean") => z.union([z.string(), z.number(), z.boolean()], { error: msg(`must be ${what}`, "nested maps and lists are not allowed here") });
export const map = <T extends z.ZodType>(value: T, what = "a map of names to values") => z.record(z.string(), value, { error: msg(`must be ${what}`, 'write "name: value" lines indented under the key') });
export const scalarMap = (what?: string) => map(scalar(), what);

export function isCidr(v: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  if (!m) return false;
  const family = isIP(m[1]!);
  const bits = Number(m[2]);
  return family !== 0 && bits <= (family === 4 ? 32 : 128);
}
export const cidr = () => str("an address with a prefix length, like 10.0.0.5/24").refine(isCidr, msg("must be an address with a prefix length, like 10.0.0.5/24 or fd00::5/64", "check each number of the address and the /prefix"));
export const ip = () => str("an IP address").refine((v) => isIP(v) !== 0, msg("must be an IP address, like 10.0.0.1 or fe80::1"));

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
export const hostname = () => str("a host name").refine((v) => HOSTNAME.test(v), msg("must be a host name", "letters, digits, '-' and '.', like web-01 or web-01.example.com"));
/** "0.0.0.0:7443", "[::]:7443", ":7443" (every address): the address (empty for every one) and the port, or undefined. */
export function parseListen(v: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v);
  const host = m?.[1] ?? m?.[2] ?? "";
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535 || (host !== "" && isIP(host) === 0 && !HOSTNAME.test(host))) return undefined;
  return { host, port };
}
export const listenAddress = () =>
  str("an address:port").refine((v) => parseListen(v) !== undefined, msg("must be an address and a port", 'like 0.0.0.0:7443, [::]:7443 or :7443 (every address)'));
/** The agent's tunnel (rancher.agent.url): ws:// or wss://, or http:// and https:// for the same; the URL, or undefined. */
export function parseTunnelUrl(v: string): URL | undefined {
  const u = URL.canParse(v) ? new URL(v) : undefined;
  if (!u?.hostname || !/^(wss?|https?):$/.test(u.protocol)) return undefined;
  u.protocol = u.protocol.replace(/^http/, "ws");
  return u;
}
const TUNNEL_URL_HINT = "like wss://manage.example.com/hosts";
export const tunnelUrl = () =>
  str("a URL", TUNNEL_URL_HINT)
    .refine((v) => parseTunnelUrl(v) !== undefined, msg("must be a ws://, wss://, http:// or https:// URL", TUNNEL_URL_HINT))
    // export shows the config with secrets masked; a password inside the URL would not be.
    .refine((v) => !(parseTunnelUrl(v)?.username || parseTunnelUrl(v)?.password), msg("must not hold a user or password", "put the secret in rancher.agent.token"));
export const absPath = () => str("an absolute path").refine((v) => v.startsWith("/"), msg("must be an absolute path", "start it with /"));
export const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** File modes as cloud-init writes them: "0644" (quoted) or 0644 (YAML 1.1 octal, read as a number). */
export const fileMode = () => {
  const m = msg('must be an octal file mode, like "0644"', "use the digits 0-7 only, and quote it");
  return z.union([z.string().regex(/^(0o?)?[0-7]{3,4}$/, m), z.number().int().min(0).max(0o7777)], { error: m });
};
