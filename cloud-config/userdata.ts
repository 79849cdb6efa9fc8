// Minimal user-data reader for the walking skeleton: a `#cloud-config` document with hostname,
// ssh_authorized_keys and rancher.autologin. Errors name the file, line and column and never throw:
// the boot goes on with what was valid. The full config engine (issue #3) replaces this module.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";

export interface BootConfig {
  hostname?: string;
  ssh_authorized_keys: string[];
  /** Consoles (e.g. ttyS0) that log the rancher user in without a password. */
  autologin: string[];
}

export interface UserData {
  kind: "cloud-config" | "script" | "empty" | "unsupported";
  /** The document could not be read as a whole: keep the last good copy instead. */
  ignored: boolean;
  config: BootConfig;
  errors: string[];
}

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const empty = (): BootConfig => ({ ssh_authorized_keys: [], autologin: [] });

export function parseUserData(text: string, source: string): UserData {
  const trimmed = text.replace(/^\uFEFF/, "");
  if (trimmed.trim() === "") return { kind: "empty", ignored: false, config: empty(), errors: [] };
  const firstLine = trimmed.split("\n", 1)[0]!.trim();
  if (firstLine.startsWith("#!")) return { kind: "script", ignored: false, config: empty(), errors: [] };
  if (firstLine !== "#cloud-config") {
    return { kind: "unsupported", ignored: true, config: empty(), errors: [`${source}:1:1: user data is not a cloud-config (make its first line "#cloud-config")`] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(trimmed, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  if (doc.errors.length) {
    return { kind: "cloud-config", ignored: true, config: empty(), errors: doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split("\n")[0]} (fix the YAML; this file was ignored)`) };
  }
  const config = empty();
  const errors: string[] = [];
  const root = doc.contents;
  if (root === null) return { kind: "cloud-config", ignored: false, config, errors };
  if (!isMap(root)) return { kind: "cloud-config", ignored: true, config, errors: [`${at(root.range?.[0] ?? 0)}: a cloud-config must be a map of keys (this file was ignored)`] };
  const where = (n: Node | null | undefined) => at(n?.range?.[0] ?? 0);

  const hostname = root.get("hostname", true) as Node | undefined;
  if (hostname !== undefined) {
    const v = isScalar(hostname) ? hostname.value : undefined;
    if (typeof v === "string" && HOSTNAME.test(v)) config.hostname = v;
    else errors.push(`${where(hostname)}: hostname must be letters, digits, '-' and '.', like "web-01" (ignored)`);
  }
  config.ssh_authorized_keys = stringList(root.get("ssh_authorized_keys", true) as Node | undefined, "ssh_authorized_keys", where, errors);
  const rancher = root.get("rancher", true) as Node | undefined;
  if (rancher !== undefined && isMap(rancher)) {
    config.autologin = stringList(rancher.get("autologin", true) as Node | undefined, "rancher.autologin", where, errors);
  }
  return { kind: "cloud-config", ignored: false, config, errors };
}

function stringList(node: Node | undefined, key: string, where: (n: Node | undefined) => string, errors: string[]): string[] {
  if (node === undefined || (isScalar(node) && node.value === null)) return [];
  if (isScalar(node) && typeof node.value === "string") return [node.value];
  if (!isSeq(node)) {
    errors.push(`${where(node)}: ${key} must be a list of strings (ignored)`);
    return [];
  }
  const out: string[] = [];
  for (const item of node.items as Node[]) {
    if (isScalar(item) && typeof item.value === "string") out.push(item.value);
    else errors.push(`${where(item)}: each ${key} entry must be a string (entry ignored)`);
  }
  return out;
}
