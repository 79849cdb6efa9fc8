// What `ros api request|shell` do: HTTP and the shell's WebSocket over the Unix socket, or over TLS
// with the client certificate `ros tls gen` wrote.
import { existsSync, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { join, normalize } from "node:path";
import WebSocket from "ws";
import { TLS_FILES } from "../api/tls.ts";
import { paths } from "../paths.ts";
import { inContainer } from "./delegate.ts";
import { fail } from "./output.ts";

interface Target { url?: string; tlsDir?: string }

/**
 * `path` as init sees it, reached through /proc/1/root (or another `root`). Its symlinks are followed by hand: the
 * kernel would resolve an absolute one (the host's /var/run → /run) in our own root, not init's.
 */
export function throughInit(path: string, root = paths.hostRoot, depth = 0): string {
  const parts = path.split("/").filter(Boolean);
  let at = "";
  for (let i = 0; i < parts.length; i++) {
    const next = `${at}/${parts[i]}`;
    let link: string | undefined;
    try {
      link = lstatSync(root + next).isSymbolicLink() ? readlinkSync(root + next) : undefined;
    } catch {
      return root + path;
    }
    if (link !== undefined && depth < 40) return throughInit(normalize(`${link.startsWith("/") ? link : `${at}/${link}`}/${parts.slice(i + 1).join("/")}`), root, depth + 1);
    at = next;
  }
  return root + at;
}

/**
 * The console runs in a container of its own, whose /var/run is not the host's: there the socket is
 * reached through init's root (the console shares the host's PIDs).
 */
function socketPath(): string {
  if (existsSync(paths.corralSocket) || !inContainer()) return paths.corralSocket;
  const viaInit = throughInit(paths.corralSocket);
  return existsSync(viaInit) ? viaInit : paths.corralSocket;
}

function tlsFiles(dir = paths.apiTls): { ca: Buffer; cert: Buffer; key: Buffer } {
  const read = (f: string) => {
    const file = join(dir, f);
    if (!existsSync(file)) fail([`ros api: ${file} is missing: copy ca.pem, cert.pem and key.pem from the host's \`ros tls gen\` folder, or give --tls-dir`]);
    return readFileSync(file);
  };
  return { ca: read(TLS_FILES.ca), cert: read(TLS_FILES.clientCert), key: read(TLS_FILES.clientKey) };
}

function remote(t: Target): URL | undefined {
  if (!t.url) return undefined;
  try {
    const u = new URL(t.url);
    if (u.protocol === "https:") return u;
  } catch {
    // Reported below.
  }
  return fail([`ros api: --url must be https://HOST:PORT (the API's TLS listener), not ${t.url}`]);
}

function readData(data: string | undefined): Buffer | undefined {
  if (data === undefined) return undefined;
  if (data === "@-") return readFileSync(0);
  if (data.startsWith("@")) {
    if (!existsSync(data.slice(1))) fail([`ros api: ${data.slice(1)}: no such file`]);
    return readFileSync(data.slice(1));
  }
  return Buffer.from(data);
}

export async function request(path: string, o: Target & { method: string; data?: string }): Promise<void> {
  if (!path.startsWith("/")) fail([`ros api request: the path starts with /, like /os/version, not ${path}`]);
  const body = readData(o.data);
  const url = remote(o);
  const socket = url ? undefined : socketPath();
  const headers = body ? { "content-type": "application/json", "content-length": body.length } : {};
  const base: RequestOptions = { method: o.method.toUpperCase(), path, headers };
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = url ? httpsRequest({ ...base, host: url.hostname, port: url.port || 443, ...tlsFiles(o.tlsDir) }, resolve) : httpRequest({ ...base, socketPath: socket }, resolve);
    req.on("error", reject);
    req.end(body);
  }).catch((e: NodeJS.ErrnoException) => fail([`ros api: cannot reach the API at ${url?.href ?? socket}: ${e.message}${e.code === "EACCES" ? " (the socket is root's: use sudo)" : e.code === "ENOENT" || e.code === "ECONNREFUSED" ? " (is the agent service running? ros service ps)" : ""}`]));
  const ok = (res.statusCode ?? 500) < 400;
  if (!ok) process.stderr.write(`ros api: ${base.method} ${path}: ${res.statusCode} ${res.statusMessage ?? ""}\n`);
  for await (const chunk of res) (ok ? process.stdout : process.stderr).write(chunk as Buffer);
  if (!ok) process.exitCode = 1;
}

export async function shell(o: Target & { user: string }): Promise<void> {
  const url = remote(o);
  const tty = process.stdin.isTTY === true;
  const size = `cols=${process.stdout.columns ?? 80}&rows=${process.stdout.rows ?? 24}`;
  const query = `/shell?user=${encodeURIComponent(o.user)}&${size}`;
  const ws = url ? new WebSocket(`wss://${url.host}${query}`, tlsFiles(o.tlsDir)) : new WebSocket(`ws+unix://${socketPath()}:${query}`);
  const code = await new Promise<number>((resolve) => {
    let exit: number | undefined;
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d));
      res.on("end", () => {
        process.stderr.write(`ros api shell: refused (${res.statusCode}): ${text.trim()}\n`);
        resolve(1);
      });
    });
    ws.on("error", (e) => {
      process.stderr.write(`ros api shell: ${e.message}\n`);
      resolve(1);
    });
    ws.on("open", () => {
      if (tty) process.stdin.setRawMode(true);
      process.stdin.on("data", (d: Buffer) => ws.send(d, { binary: true }));
      process.stdout.on("resize", () => ws.send(JSON.stringify({ resize: [process.stdout.columns, process.stdout.rows] })));
    });
    ws.on("message", (data: Buffer, binary: boolean) => {
      if (binary) process.stdout.write(data);
      else exit = (JSON.parse(data.toString("utf8")) as { exit?: number }).exit;
    });
    ws.on("close", () => resolve(exit ?? 1));
  });
  if (tty) process.stdin.setRawMode(false);
  process.exit(code);
}
