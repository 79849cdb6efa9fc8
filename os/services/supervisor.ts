// Keeps long-running services healthy. Docker itself restarts a container whose process exits (with
// its own exponential backoff, from the restart policy); it does nothing about a container that runs
// but fails its health check. The supervisor restarts those, backing off exponentially, and records
// what it did where `ros service ps` reads it.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { atomicWrite } from "../atomic-write.ts";
import { paths } from "../paths.ts";
import { LABEL, type Scope } from "./service.ts";

export interface HealthRecord {
  /** Restarts for failed health checks since the service was last healthy. */
  healthRestarts: number;
  totalHealthRestarts: number;
  lastRestart?: string;
  /** When the next restart is due, while one is pending. */
  nextRestart?: string;
}

export interface SupervisorOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
}

const stateFile = (scope: Scope) => join(paths.serviceState, `${scope}.json`);

export function readHealthRecords(scope: Scope): Record<string, HealthRecord> {
  try {
    return JSON.parse(readFileSync(stateFile(scope), "utf8")) as Record<string, HealthRecord>;
  } catch {
    return {};
  }
}

/** Backoff for the nth restart in a row: base, 2×base, 4×base… up to max. */
export const backoffMs = (n: number, base: number, max: number) => Math.min(max, base * 2 ** Math.min(n, 30));

interface DockerEvent { status?: string; Action?: string; Actor?: { Attributes?: Record<string, string> } }

export function supervise(docker: Docker, scope: Scope, o: SupervisorOptions = {}): { stop(): void } {
  const base = o.baseDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 60_000;
  const records = readHealthRecords(scope);
  const pending = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let stream: NodeJS.ReadableStream | undefined;

  const save = () => {
    mkdirSync(paths.serviceState, { recursive: true });
    atomicWrite(stateFile(scope), JSON.stringify(records, null, 1));
  };

  const onHealth = (name: string, status: string) => {
    const r = (records[name] ??= { healthRestarts: 0, totalHealthRestarts: 0 });
    if (status === "healthy") {
      if (r.healthRestarts === 0 && !r.nextRestart) return;
      r.healthRestarts = 0;
      delete r.nextRestart;
      save();
      return;
    }
    if (status !== "unhealthy" || pending.has(name)) return;
    const delay = backoffMs(r.healthRestarts, base, max);
    r.nextRestart = new Date(Date.now() + delay).toISOString();
    save();
    o.log?.(`${name}: unhealthy; restarting in ${(delay / 1000).toFixed(1)} s`);
    pending.set(name, setTimeout(() => {
      pending.delete(name);
      // No timeout given: Docker uses the container's own (stop_grace_period).
      docker.getContainer(name).restart().then(
        () => {
          r.healthRestarts++;
          r.totalHealthRestarts++;
          r.lastRestart = new Date().toISOString();
          delete r.nextRestart;
          save();
          o.log?.(`${name}: restarted (health restart ${r.healthRestarts} in a row)`);
        },
        (e: Error) => o.log?.(`${name}: restart failed: ${e.message}`),
      );
    }, delay));
  };

  const listen = async () => {
    // Said once per outage, not once a second while the daemon is away.
    let lastError = "";
    while (!stopped) {
      try {
        stream = (await docker.getEvents({ filters: { type: ["container"], label: [LABEL.service], event: ["health_status"] } })) as NodeJS.ReadableStream;
        if (lastError) o.log?.(`events from the ${scope} Docker: back`);
        lastError = "";
        let buf = "";
        for await (const chunk of stream) {
          buf += chunk.toString();
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const ev = JSON.parse(buf.slice(0, nl)) as DockerEvent;
            buf = buf.slice(nl + 1);
            const name = ev.Actor?.Attributes?.[LABEL.service];
            const status = /^health_status: (\w+)/.exec(ev.status ?? ev.Action ?? "")?.[1];
            if (name && status) onHealth(name, status);
          }
        }
      } catch (e) {
        const message = (e as Error).message;
        if (!stopped && message !== lastError) o.log?.(`events from the ${scope} Docker: ${message}; waiting for it`);
        lastError = message;
      }
      // The daemon went away (restart, shutdown): listen again when it is back.
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void listen();
  return {
    stop() {
      stopped = true;
      for (const t of pending.values()) clearTimeout(t);
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}
