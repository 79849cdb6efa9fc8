// What every endpoint of the host API declares: its method and path, what the OpenAPI document
// says of it, and its handler. The server routes by this table and the document is made from it,
// so the two cannot disagree.
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Param { name: string; in: "path" | "query"; description: string; type: "string" | "integer" | "boolean" }

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The request body, read whole (bounded). */
  body(): Promise<Buffer>;
  /** The body as JSON; a 400 when it is not. */
  json<T>(): Promise<T>;
}

/** What a handler returns: a JSON reply, or nothing when it wrote the response itself (a stream). */
export type Reply = { status?: number; body: unknown } | undefined;

export interface Route {
  method: "GET" | "POST" | "PATCH";
  /** OpenAPI-style: /services/{name}/restart */
  path: string;
  summary: string;
  params?: Param[];
  /** The request body's media type and what it holds. */
  requestBody?: { type: string; description: string };
  /** Media type of a 200 other than JSON (logs are text). */
  produces?: string;
  /** Served by the WebSocket upgrade, not by a handler. */
  websocket?: boolean;
  handler?: (r: Request) => Promise<Reply>;
}

/** A refusal with its HTTP status; anything else thrown is a 500. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
  }
}

/** The route and its path parameters for a method and path, or why there is none (404/405). */
export function match(routes: Route[], method: string, pathname: string): { route: Route; params: Record<string, string> } | { status: 404 | 405 } {
  let pathMatched = false;
  for (const route of routes) {
    const names: string[] = [];
    const re = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), "([^/]+)"))}$`);
    const m = re.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
  }
  return { status: pathMatched ? 405 : 404 };
}
