// `up`: brings services to what the config says, each as soon as what it waits for is ready, so
// independent services start side by side. A failure stops only the services that wait for it.
import type Docker from "dockerode";
import { containerSpec } from "./container-spec.ts";
import { dockerMessage, isNotFound, startFailure } from "./docker-errors.ts";
import { engineFor, type Engines } from "./engines.ts";
import { fingerprint } from "./fingerprint.ts";
import { logText } from "./log-frames.ts";
import { CycleError, dependencyGraph, withDependencies } from "./graph.ts";
import { inspectNamed } from "./named.ts";
import { LABEL, type Service } from "./service.ts";

export type Result = "running" | "started" | "created" | "done" | "failed" | "skipped";
export interface Outcome { name: string; scope: Service["scope"]; result: Result; recreated?: boolean; detail?: string }

export interface UpOptions {
  /** Only these services (and what they wait for); all when absent. */
  only?: string[];
  /** rancher.environment, for environment entries looked up by name. */
  environment?: Record<string, string | number | boolean | null>;
  /** Run oneshots again even when their container already exited 0 (every boot does). */
  rerunOneshots?: boolean;
  /** How long a dependant waits for a service with a health check to report healthy. */
  readyTimeoutMs?: number;
  /** Seconds a container being replaced gets to stop. */
  stopTimeoutS?: number;
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS = 120_000;
/** Docker runs health checks seconds apart; polling faster only loads the daemon. */
const HEALTH_POLL_MS = 1000;
const OK: Result[] = ["running", "started", "created", "done"];
const LOG_TAIL = 5;

export async function up(services: Service[], engines: Engines, o: UpOptions = {}): Promise<Outcome[]> {
  const byName = new Map(services.map((s) => [s.name, s]));
  // Services in a cycle cannot start (each waits for another); they fail, the rest goes on.
  const { deps, cycles } = dependencyGraph(services);
  // User services run on the user Docker, which is the `docker` service.
  if (byName.has("docker")) for (const s of services) if (s.scope === "user" && s.name !== "docker") deps.get(s.name)!.add("docker");
  const wanted = o.only ? withDependencies(o.only, deps) : new Set(byName.keys());
  const results = new Map<string, Promise<Outcome>>();
  // One watch per dependency, however many services wait for it: each poll costs the daemon work.
  const ready = new Map<string, Promise<string | undefined>>();
  const readiness = (name: string, dep: Outcome): Promise<string | undefined> => {
    let r = ready.get(name);
    if (!r) ready.set(name, (r = untilHealthy(name, dep, engines, o.readyTimeoutMs ?? READY_TIMEOUT_MS)));
    return r;
  };
  for (const cycle of cycles) {
    const detail = new CycleError(cycle).message;
    for (const name of cycle) results.set(name, Promise.resolve({ name, scope: byName.get(name)!.scope, result: "failed", detail }));
  }
  const bring = (name: string): Promise<Outcome> => {
    let r = results.get(name);
    if (!r) {
      r = bringUp(byName.get(name)!, [...deps.get(name)!], engines, o, bring, readiness).catch((e: unknown) => ({ name, scope: byName.get(name)!.scope, result: "failed" as const, detail: dockerMessage(e) }));
      results.set(name, r);
      r.then((out) => o.log?.(`${name}: ${out.result}${out.recreated ? " (recreated)" : ""}${out.detail ? `: ${out.detail}` : ""}`));
    }
    return r;
  };
  return Promise.all([...wanted].map(bring));
}

async function bringUp(s: Service, waitsFor: string[], engines: Engines, o: UpOptions, bring: (n: string) => Promise<Outcome>, readiness: (n: string, dep: Outcome) => Promise<string | undefined>): Promise<Outcome> {
  const out = (result: Result, detail?: string, recreated?: boolean): Outcome => ({ name: s.name, scope: s.scope, result, ...(recreated ? { recreated } : {}), ...(detail ? { detail } : {}) });
  for (const d of waitsFor) {
    const dep = await bring(d);
    if (!OK.includes(dep.result)) return out("skipped", `it waits for ${d}, which ${dep.result === "skipped" ? "was skipped" : "failed"}`);
    const ready = await readiness(d, dep);
    if (ready) return out("skipped", `it waits for ${d}, which ${ready}`);
  }
  const docker = await engineFor(engines, s.scope);
  const image = await docker.getImage(s.def.image).inspect().catch((e: unknown) => {
    if (isNotFound(e)) throw new Error(`image ${s.def.image} is not loaded in the ${s.scope} Docker (load it with \`${s.scope === "user" ? "docker" : "system-docker"} load -i FILE\`; no registry is used)`);
    throw e;
  });
  const spec = containerSpec(s, o.environment);
  // Of the definition as written (privileged untranslated): the same wherever the runner runs.
  const fp = fingerprint(containerSpec(s, o.environment, []), image.Id);
  spec.Labels = { ...spec.Labels, [LABEL.fingerprint]: fp };

  const existing = await inspectNamed(docker, s.name);
  let container = docker.getContainer(existing?.Id ?? s.name);
  let recreated = false;
  if (existing && existing.Config.Labels?.[LABEL.fingerprint] !== fp) {
    if (existing.Config.Labels?.[LABEL.service] !== s.name) throw new Error(`a container named ${s.name} exists that Corral did not create (remove or rename it)`);
    await container.stop({ t: o.stopTimeoutS ?? 10 }).catch(() => undefined);
    await container.remove({ force: true, v: false });
    recreated = true;
  }
  const fresh = !existing || recreated;
  if (fresh) container = await docker.createContainer(spec);

  if (s.kind === "createonly") return out("created", undefined, recreated);
  if (s.kind === "oneshot") {
    if (!fresh && !o.rerunOneshots && existing!.State.Status === "exited" && existing!.State.ExitCode === 0) return out("done");
    return runOneshot(container, out, recreated);
  }
  if (!fresh && existing!.State.Running) return out("running");
  try {
    await container.start();
  } catch (e) {
    return out("failed", startFailure(e), recreated);
  }
  return out("started", undefined, recreated);
}

async function runOneshot(container: Docker.Container, out: (r: Result, d?: string, re?: boolean) => Outcome, recreated: boolean): Promise<Outcome> {
  // Waiting is set up before the start, so a quick exit cannot be missed.
  const exited = container.wait({ condition: "next-exit" }) as Promise<{ StatusCode: number }>;
  try {
    await container.start();
  } catch (e) {
    return out("failed", startFailure(e), recreated);
  }
  const { StatusCode } = await exited;
  if (StatusCode === 0) return out("done", undefined, recreated);
  const tail = (await container.logs({ stdout: true, stderr: true, tail: LOG_TAIL }).catch(() => Buffer.alloc(0))) as Buffer;
  return out("failed", `exited with ${StatusCode}${tail.length ? `; its last output: ${logText(tail)}` : ""}`, recreated);
}

/** For a dependency with its own health check: undefined once healthy, else what went wrong. */
async function untilHealthy(name: string, dep: Outcome, engines: Engines, timeoutMs: number): Promise<string | undefined> {
  if (dep.result === "done" || dep.result === "created") return undefined;
  const docker = await engineFor(engines, dep.scope);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const info = await inspectNamed(docker, name);
    if (!info) return "was removed before it was healthy";
    const state = info.State;
    const health = state.Health?.Status;
    if (!health || health === "healthy") return undefined;
    if (!state.Running) return "stopped before it was healthy";
    if (Date.now() > until) return `was not healthy within ${timeoutMs / 1000} s (${health})`;
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
}
