// GET /shell as a WebSocket: one PTY per connection (node-pty), closed when the client goes.
// Client → server: binary frames are keystrokes; text frames are JSON controls, {"resize": [cols, rows]}.
// Server → client: binary frames are the terminal's output; the last text frame is
// {"exit": code, "signal": n}, then the socket closes.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";

/** What a session runs: a program and its arguments. */
export type ShellCommand = (user: string) => Promise<[string, string[]]>;

type Pty = typeof import("node-pty");

/**
 * node-pty is a native addon, built for one Node ABI: loaded at the first session, so a host
 * without a build for its Node still serves everything else (the shell answers 501).
 */
let pty: Promise<Pty | Error> | undefined;
const loadPty = () => (pty ??= import("node-pty").then((m: Pty & { default?: Pty }) => m.default ?? m, (e: Error) => e));

const USER = /^[a-z_][a-z0-9_-]*$/;

function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ error: message })}\n`);
}

export class Shells {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Set<WebSocket>();

  constructor(private readonly command: ShellCommand, private readonly log: (line: string) => void) {}

  /** The HTTP upgrade of GET /shell?user=&cols=&rows=; returns the status it answered. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, who: string): Promise<number> {
    const q = new URL(req.url ?? "/", "http://api").searchParams;
    const user = q.get("user") ?? "rancher";
    if (!USER.test(user)) return refuse(socket, 400, "Bad Request", `not a user name: ${user}`), 400;
    const size = (k: string, d: number) => Math.min(1000, Math.max(1, Number(q.get(k)) || d));
    const p = await loadPty();
    if (p instanceof Error) return refuse(socket, 501, "Not Implemented", `the shell needs node-pty, which does not load on this host: ${p.message}`), 501;
    let file: string, args: string[];
    try {
      [file, args] = await this.command(user);
    } catch (e) {
      return refuse(socket, 503, "Service Unavailable", (e as Error).message), 503;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.session(p, ws, file, args, size("cols", 80), size("rows", 24), who));
    return 101;
  }

  private session(p: Pty, ws: WebSocket, file: string, args: string[], cols: number, rows: number, who: string): void {
    const term = p.spawn(file, args, { name: "xterm-256color", cols, rows, cwd: "/", env: { TERM: "xterm-256color", PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" } });
    this.sessions.add(ws);
    this.log(`${who} shell: pid ${term.pid} started (${[file, ...args].join(" ")})`);
    term.onData((d) => ws.send(Buffer.from(d, "utf8"), { binary: true }));
    term.onExit(({ exitCode, signal }) => {
      this.log(`${who} shell: pid ${term.pid} exited ${exitCode}${signal ? ` (signal ${signal})` : ""}`);
      ws.send(JSON.stringify({ exit: exitCode, signal: signal ?? 0 }), () => ws.close(1000));
    });
    ws.on("message", (data: RawData, binary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      if (binary) return term.write(buf.toString("utf8"));
      try {
        const m = JSON.parse(buf.toString("utf8")) as { resize?: [number, number] };
        if (m.resize) term.resize(Math.max(1, m.resize[0] | 0), Math.max(1, m.resize[1] | 0));
      } catch {
        ws.close(1003, "text frames are JSON controls");
      }
    });
    // The PTY lives exactly as long as its connection.
    ws.on("close", () => {
      this.sessions.delete(ws);
      try {
        term.kill("SIGHUP");
      } catch {
        // Already gone.
      }
    });
  }

  close(): void {
    for (const ws of this.sessions) ws.terminate();
    this.wss.close();
  }
}
