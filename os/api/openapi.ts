// The OpenAPI 3 document of the host API, made from the route table the server routes by.
import { VERSION } from "../version.ts";
import type { Route } from "./route.ts";

const errorReply = { description: "refused or failed", content: { "application/json": { schema: { type: "object", properties: { error: { type: "string" }, details: {} } } } } };

function operation(r: Route) {
  const ok = r.websocket
    ? { "101": { description: "switched to a WebSocket" }, "501": errorReply }
    : { "200": { description: "done", content: { [r.produces ?? "application/json"]: { schema: r.produces ? { type: "string" } : { type: "object" } } } } };
  return {
    summary: r.summary,
    operationId: `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    parameters: (r.params ?? []).map((p) => ({ name: p.name, in: p.in, required: p.in === "path", description: p.description, schema: { type: p.type } })),
    ...(r.requestBody ? { requestBody: { required: true, description: r.requestBody.description, content: { [r.requestBody.type]: { schema: r.requestBody.type === "application/json" ? { type: "object" } : { type: "string" } } } } } : {}),
    responses: { ...ok, "400": errorReply, "404": errorReply, "409": errorReply, "422": errorReply, "500": errorReply },
  };
}

export function openApi(routes: Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: "3.0.3",
    info: { title: "Corral host API", version: VERSION, description: "The host's config, services, OS and a shell, over /var/run/corral.sock (root only), TCP with mutual TLS (rancher.agent.api.listen), or the agent's tunnel to a management layer (rancher.agent.url)" },
    paths,
  };
}
