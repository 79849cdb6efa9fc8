// The host API: JSON over HTTP on the root-only Unix socket, on TCP with mutual TLS when
// rancher.agent.api.listen says so, and on any byte stream handed to accept() (the agent's tunnel).
// Every request is logged with who made it (the agent's output is the journal's `agent` unit).
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { MAX_CONFIG_BYTES } from "../../cloud-config/parse.ts";
import { parseListen } from "../../cloud-config/schema/primitives.ts";
import { log as bootLog } from "../log.ts";
import { applyServices } from "./apply.ts";
import { tlsIdentity, UNIX_IDENTITY } from "./client-identity.ts";
import { configRoutes } from "./config-routes.ts";
import { consoleShell } from "./console-shell.ts";
import { openApi } from "./openapi.ts";
import { osRoutes } from "./os-routes.ts";
import { ApiError, match, type Request, type Route } from "./route.ts";
import { servicesRoutes } from "./services-routes.ts";
import { Shells, type ShellCommand } from "./shell.ts";
import { TLS_FILES } from "./tls.ts";
import { Trials } from "./try-revert.ts";

const MAX_BODY = MAX_CONFIG_BYTES * 8;

export interface ApiOptions {
  log?: (line: string) => void;
  /** What a shell session runs (default: a login shell in the console's namespaces). */
  shell?: ShellCommand;
  /** Brings the host to the config after a change (default: the services, as `ros service up`). */
  apply?: () => Promise<string[]>;
}

const identities = new WeakMap<Duplex, string>();
const who = (s: Duplex) => identities.get(s) ?? UNIX_IDENTITY;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on("data", (d: Buffer) => {
      n += d.length;
      if (n > MAX_BODY) reject(new ApiError(413, `the body is over ${MAX_BODY} bytes`)), req.destroy();
      else parts.push(d);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body, null, 2)}\n`);
}

export class Api {
  readonly routes: Route[];
  readonly trials: Trials;
  private readonly shells: Shells;
  private readonly servers: Server[] = [];
  /** Serves the streams accept() is handed; it listens on nothing. */
  private streamServer?: Server;
  /** A server that never listened does not track its connections, so close() needs this. */
  private readonly streams = new Set<Duplex>();
  private readonly log: (line: string) => void;

  constructor(o: ApiOptions = {}) {
    this.log = o.log ?? ((line) => bootLog("api", line));
    const apply = o.apply ?? (() => applyServices());
    this.trials = new Trials({ log: this.log, onRevert: async (t) => this.log(`config try ${t.id} reverted: ${(await apply()).join("; ") || "no services to bring up"}`) });
    this.shells = new Shells(o.shell ?? consoleShell, this.log);
    this.routes = [
      { method: "GET", path: "/openapi.json", summary: "This document", handler: async () => ({ body: openApi(this.routes) }) },
      ...configRoutes(this.trials, apply),
      ...servicesRoutes(),
      ...osRoutes(),
      { method: "GET", path: "/shell", summary: "An interactive login shell over a WebSocket (binary frames: terminal bytes; text frames: {\"resize\": [cols, rows]}; last frame: {\"exit\": code})", websocket: true, params: [{ name: "user", in: "query", type: "string", description: "who logs in (default rancher)" }, { name: "cols", in: "query", type: "integer", description: "terminal width" }, { name: "rows", in: "query", type: "integer", description: "terminal height" }] },
    ];
    this.trials.resume();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://api");
    const client = who(req.socket);
    res.on("close", () => this.log(`${client} ${req.method} ${url.pathname}${url.search} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      const m = match(this.routes, req.method ?? "", url.pathname);
      if ("status" in m) throw new ApiError(m.status, m.status === 404 ? `no endpoint ${url.pathname} (GET /openapi.json lists them)` : `${req.method} is not served on ${url.pathname}`);
      if (!m.route.handler) throw new ApiError(426, "this endpoint is a WebSocket: send Upgrade: websocket");
      let body: Promise<Buffer> | undefined;
      const r: Request = {
        req,
        res,
        params: m.params,
        query: url.searchParams,
        body: () => (body ??= readBody(req)),
        json: async <T>() => {
          const b = await r.body();
          try {
            return (b.length ? JSON.parse(b.toString("utf8")) : {}) as T;
          } catch (e) {
            throw new ApiError(400, `the body is not JSON: ${(e as Error).message}`);
          }
        },
      };
      const reply = await m.route.handler(r);
      if (reply) send(res, reply.status ?? 200, reply.body);
    } catch (e) {
      if (e instanceof ApiError) send(res, e.status, { error: e.message, ...(e.details === undefined ? {} : { details: e.details }) });
      else {
        this.log(`${client} ${req.method} ${url.pathname}: ${(e as Error).stack ?? String(e)}`);
        send(res, 500, { error: (e as Error).message });
      }
    }
  }

  private serve(server: Server): Server {
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const client = who(socket);
      const path = new URL(req.url ?? "/", "http://api").pathname;
      if (path !== "/shell") return void socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
      void this.shells.upgrade(req, socket, head, client).then((status) => this.log(`${client} GET ${req.url} ${status}`));
    });
    this.servers.push(server);
    return server;
  }

  /** The root-only socket: created with mode 0600 (no moment when others could connect), a stale one replaced. */
  async listenUnix(path: string): Promise<Server> {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) unlinkSync(path);
    const server = this.serve(createHttp());
    const mask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, resolve));
    } finally {
      process.umask(mask);
    }
    chmodSync(path, 0o600);
    return server;
  }

  /** TCP with mutual TLS: only clients with a certificate from the folder's CA get in. */
  async listenTls(listen: string, tlsDir: string): Promise<Server> {
    const at = parseListen(listen);
    if (!at) throw new Error(`rancher.agent.api.listen: ${listen} is not an address:port (like 0.0.0.0:7443 or [::]:7443)`);
    const read = (f: string) => readFileSync(join(tlsDir, f));
    const server = createHttps({ ca: read(TLS_FILES.ca), cert: read(TLS_FILES.serverCert), key: read(TLS_FILES.serverKey), requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" });
    server.on("secureConnection", (s: TLSSocket) => identities.set(s, tlsIdentity(s)));
    server.on("tlsClientError", (e: Error, s: TLSSocket) => this.log(`tls:${s.remoteAddress ?? "?"} refused: ${e.message}`));
    this.serve(server);
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(at.port, at.host || undefined, resolve));
    return server;
  }

  /** One connection that came by other means (a tunnel's stream): served like a listener's, logged as `client`. */
  accept(stream: Duplex, client: string): void {
    this.streamServer ??= this.serve(createHttp());
    identities.set(stream, client);
    this.streams.add(stream);
    stream.once("close", () => this.streams.delete(stream));
    this.streamServer.emit("connection", stream);
  }

  async close(): Promise<void> {
    this.trials.stop();
    this.shells.close();
    for (const s of this.streams) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => (s.closeAllConnections?.(), s.close(r)))));
  }
}
