// What `ros service ps` shows: each service's container state, its health (its own check, or the
// default: running for STABLE_MS without a restart), its restarts and whether it is crash-looping.
import type Docker from "dockerode";
import { dockerMessage } from "./docker-errors.ts";
import { engineFor, type Engines } from "./engines.ts";
import { inspectNamed } from "./named.ts";
import type { Service } from "./service.ts";
import { readHealthRecords } from "./supervisor.ts";

export const STABLE_MS = 5000;
/** This many restarts with no stable run in between is a crash loop. */
export const CRASH_LOOP_RESTARTS = 3;

export interface Status {
  name: string;
  scope: Service["scope"];
  kind: Service["kind"];
  image: string;
  state: string;
  health: string;
  restarts: number;
  /** When the container last started, ISO time. */
  since?: string;
  /** The image the container was made from, when not the definition's (from before an upgrade). */
  staleImage?: string;
  detail?: string;
}

export function describe(s: Service, info: Docker.ContainerInspectInfo | undefined, healthRestarts: number, now = Date.now()): Status {
  const base = { name: s.name, scope: s.scope, kind: s.kind, image: s.def.image };
  if (!info) return { ...base, state: "not created", health: "-", restarts: 0 };
  const st = info.State;
  const restarts = info.RestartCount + healthRestarts;
  const since = st.StartedAt && !st.StartedAt.startsWith("0001") ? st.StartedAt : undefined;
  const upMs = since ? now - Date.parse(since) : 0;
  const stale = info.Config?.Image && info.Config.Image !== s.def.image ? info.Config.Image : undefined;
  const out = (state: string, health: string, detail?: string): Status => ({
    ...base,
    state,
    health,
    restarts,
    ...(since ? { since } : {}),
    ...(stale ? { staleImage: stale } : {}),
    ...(detail || stale ? { detail: detail ?? `made from ${stale}` } : {}),
  });
  if (s.kind === "createonly") return out(st.Status === "created" ? "created" : st.Status, "-");
  if (s.kind === "oneshot") {
    if (st.Running) return out("running", "-");
    if (st.Status === "created") return out("created", "-");
    return st.ExitCode === 0 ? out("done", "-") : out(`failed (exit ${st.ExitCode})`, "-", st.Error || undefined);
  }
  const own = st.Health?.Status;
  const looping = restarts >= CRASH_LOOP_RESTARTS && (st.Restarting || !st.Running || upMs < STABLE_MS || own === "unhealthy");
  const health = own ?? (st.Running ? (upMs >= STABLE_MS ? "healthy" : "starting") : "unhealthy");
  if (looping) return out("crash-loop", health, st.Restarting ? "restarting with backoff" : undefined);
  if (st.Restarting) return out("restarting", health);
  if (st.Running) return out("running", health);
  return out(`${st.Status} (exit ${st.ExitCode})`, "-", st.Error || undefined);
}

export async function serviceStatus(services: Service[], engines: Engines): Promise<Status[]> {
  const records = { system: readHealthRecords("system"), user: readHealthRecords("user") };
  return Promise.all(
    services.map(async (s) => {
      try {
        const docker = await engineFor(engines, s.scope);
        const info = await inspectNamed(docker, s.name);
        return describe(s, info, records[s.scope][s.name]?.totalHealthRestarts ?? 0);
      } catch (e) {
        return { name: s.name, scope: s.scope, kind: s.kind, image: s.def.image, state: "unknown", health: "-", restarts: 0, detail: dockerMessage(e) };
      }
    }),
  );
}
