// The outbound registration tunnel (rancher.agent.url, rancher.agent.token): a host behind NAT
// dials its management layer and serves the host API back through that connection. One control
// WebSocket stays open; for each {"open": "<id>"} the management side sends on it, the agent dials
// a second WebSocket to the same URL with ?stream=<id> and hands its binary frames to the API as
// one more connection's bytes, so every endpoint (followed logs and the WebSocket shell included)
// works through it unchanged. A dropped or refused control socket is dialled again with the backoff.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import WebSocket, { createWebSocketStream, type ClientOptions, type RawData } from "ws";
import { parseTunnelUrl } from "../../cloud-config/schema/primitives.ts";
import type { Api } from "../../os/api/server.ts";
import { VERSION } from "../../os/version.ts";
import { backoffMs, DEFAULT_BACKOFF, sleep, type Backoff } from "./backoff.ts";

export interface TunnelOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>` on every dial. */
  token?: string;
  /** A PEM CA for a wss:// URL whose certificate no system CA signed; read at every dial, so a file written later counts. */
  caFile?: string;
  api: Pick<Api, "accept">;
  signal: AbortSignal;
  log: (line: string) => void;
  backoff?: Backoff;
  /**
   * How often the control socket is pinged. A ping still unanswered at the next one drops it: a
   * NAT or proxy that forgot the flow does not say so, and pings also keep it from forgetting.
   */
  pingMs?: number;
}

const PING_MS = 30_000;
/** A URL that takes the TCP connection and then says nothing is a failed attempt, not a hang. */
const HANDSHAKE_MS = 15_000;

/** The dial options of one attempt (the same for the control socket and its streams). */
function dialOptions(o: TunnelOptions): ClientOptions {
  const headers: Record<string, string> = { "x-corral-hostname": hostname(), "x-corral-version": VERSION };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  return { headers, handshakeTimeout: HANDSHAKE_MS, ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}) };
}

/** Dials ?stream=<id> and serves the API on it. */
function openStream(o: TunnelOptions, url: URL, id: string, dial: ClientOptions, streams: Set<WebSocket>): void {
  const at = new URL(url);
  at.searchParams.set("stream", id);
  const ws = new WebSocket(at, dial);
  streams.add(ws);
  ws.on("open", () => {
    const bytes = createWebSocketStream(ws);
    // The WebSocket's own listener below reports the error; this one keeps it from being thrown.
    bytes.on("error", () => {});
    o.api.accept(bytes, `tunnel:${url.host}`);
  });
  ws.on("error", (e) => o.log(`tunnel: stream ${id}: ${e.message}`));
  ws.on("close", () => streams.delete(ws));
}

/** One control connection, from the dial to its close: whether it came up, and why it ended. */
function control(o: TunnelOptions, url: URL, streams: Set<WebSocket>): Promise<{ up: boolean; why: string }> {
  return new Promise((resolve) => {
    let dial: ClientOptions;
    try {
      dial = dialOptions(o);
    } catch (e) {
      return resolve({ up: false, why: `was not dialled: rancher.agent.ca_file: ${(e as Error).message}` });
    }
    const ws = new WebSocket(url, dial);
    let up = false;
    let why = "";
    let answered = true;
    let ping: NodeJS.Timeout | undefined;
    const stop = () => ws.close(1001, "the agent stops");
    o.signal.addEventListener("abort", stop, { once: true });
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      why = `refused the agent: HTTP ${status}${status === 401 || status === 403 ? " (is rancher.agent.token right?)" : ", not a WebSocket"}`;
      ws.terminate();
    });
    ws.on("error", (e) => (why ||= `failed: ${e.message}`));
    ws.on("open", () => {
      up = true;
      o.log(`tunnel: connected to ${url.origin}${url.pathname} as ${hostname()}`);
      const every = o.pingMs ?? PING_MS;
      ping = setInterval(() => {
        if (!answered) return void ((why = `did not answer a ping in ${(every / 1000).toFixed(1)}s`), ws.terminate());
        answered = false;
        ws.ping();
      }, every);
    });
    ws.on("pong", () => (answered = true));
    ws.on("message", (data: RawData, binary: boolean) => {
      let id: unknown;
      try {
        id = binary ? undefined : (JSON.parse(data.toString()) as { open?: unknown }).open;
      } catch {
        // Not JSON: said below.
      }
      if (typeof id === "string" && id) openStream(o, url, id, dial, streams);
      else o.log(`tunnel: ignored a control frame that is not {"open": "<id>"}`);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      clearInterval(ping);
      o.signal.removeEventListener("abort", stop);
      resolve({ up, why: why || `closed the control socket (code ${code}${reason.length ? `: ${reason.toString()}` : ""})` });
    });
  });
}

/** Keeps the tunnel up until `signal` aborts; then closes it and every stream through it. */
export async function runTunnel(o: TunnelOptions): Promise<void> {
  const url = parseTunnelUrl(o.url);
  if (!url) return o.log(`error: no tunnel: rancher.agent.url ${o.url} is not a ws://, wss://, http:// or https:// URL`);
  const where = `${url.origin}${url.pathname}`;
  const streams = new Set<WebSocket>();
  let failures = 0;
  while (!o.signal.aborted) {
    const s = await control(o, url, streams);
    if (o.signal.aborted) break;
    // A socket that was up and dropped starts the backoff again from its base.
    failures = s.up ? 1 : failures + 1;
    const wait = backoffMs(failures, o.backoff ?? DEFAULT_BACKOFF);
    o.log(`tunnel: ${where} ${s.why}; trying again in ${(wait / 1000).toFixed(1)}s`);
    await sleep(wait, o.signal);
  }
  for (const ws of streams) ws.terminate();
  o.log(`tunnel: closed (the agent stops)`);
}
