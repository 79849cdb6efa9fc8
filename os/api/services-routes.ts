// /services: every configured service's state, a restart, and a service's output (followed on
// request), as `ros service ps|restart|logs` show them.
import { PassThrough } from "node:stream";
import { loadConfig } from "../../cloud-config/load.ts";
import { configuredServices } from "../services/configured.ts";
import { dockerMessage, isNotFound } from "../services/docker-errors.ts";
import { engineFor, engines, type Engines } from "../services/engines.ts";
import { logFrames } from "../services/log-frames.ts";
import { inspectNamed } from "../services/named.ts";
import type { Service } from "../services/service.ts";
import { serviceStatus } from "../services/status.ts";
import { ApiError, type Route } from "./route.ts";

/** A request waits this long for the user Docker, then reports it down. */
const QUICK_WAIT_MS = 3000;

async function configured(): Promise<Service[]> {
  return (await configuredServices(loadConfig().config, { preferCache: true })).services;
}

async function named(name: string): Promise<Service> {
  const s = (await configured()).find((x) => x.name === name);
  if (!s) throw new ApiError(404, `no service named ${name} in the config`);
  return s;
}

async function containerOf(e: Engines, s: Service) {
  const docker = await engineFor(e, s.scope).catch((err: Error) => {
    throw new ApiError(503, err.message);
  });
  const info = await inspectNamed(docker, s.name).catch((err: unknown) => {
    throw new ApiError(503, `${s.name}: ${dockerMessage(err)}`);
  });
  if (!info) throw new ApiError(404, `${s.name} has no container`);
  return { docker, info, container: docker.getContainer(info.Id) };
}

export function servicesRoutes(e: () => Engines = () => engines(undefined, undefined, QUICK_WAIT_MS)): Route[] {
  return [
    {
      method: "GET",
      path: "/services",
      summary: "Every configured service: scope, kind, state, health, restarts, image",
      handler: async () => ({ body: await serviceStatus(await configured(), e()) }),
    },
    {
      method: "POST",
      path: "/services/{name}/restart",
      summary: "Restart a service's container",
      params: [{ name: "name", in: "path", type: "string", description: "the service's name" }],
      handler: async ({ params }) => {
        const { container } = await containerOf(e(), await named(params.name!));
        await container.restart().catch((err: unknown) => {
          throw new ApiError(isNotFound(err) ? 404 : 500, dockerMessage(err));
        });
        return { body: { restarted: params.name } };
      },
    },
    {
      method: "GET",
      path: "/services/{name}/logs",
      summary: "A service's output as text; with follow=true the response stays open and streams new lines",
      produces: "text/plain",
      params: [
        { name: "name", in: "path", type: "string", description: "the service's name" },
        { name: "follow", in: "query", type: "boolean", description: "keep streaming until the client goes" },
        { name: "lines", in: "query", type: "integer", description: "only the last N lines" },
      ],
      handler: async ({ params, query, req, res }) => {
        const { docker, info, container } = await containerOf(e(), await named(params.name!));
        const lines = query.get("lines");
        const tail = lines === null ? undefined : Number(lines);
        if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new ApiError(400, "lines must be a whole number");
        const opts = { stdout: true, stderr: true, tail, timestamps: false } as const;
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        if (query.get("follow") !== "true") {
          const buf = (await container.logs({ ...opts, follow: false })) as unknown as Buffer;
          res.end(info.Config.Tty ? buf : Buffer.concat(logFrames(buf).map(([, d]) => d)));
          return undefined;
        }
        const stream = (await container.logs({ ...opts, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
        // Both of the container's streams go to the one response, as a terminal would show them.
        const out = new PassThrough();
        if (info.Config.Tty) stream.pipe(out);
        else docker.modem.demuxStream(stream, out, out);
        out.pipe(res);
        stream.on("end", () => res.end());
        req.on("close", () => stream.destroy());
        return undefined;
      },
    },
  ];
}
