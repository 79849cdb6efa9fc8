// The shutdown's ordered stop: the mirror of `up`. A service stops once every service that waits
// for it has stopped, so independent services stop side by side and the user's services go down
// before the `docker` service, whose dockerd then stops the user's own containers. Each gets its
// stop grace period and is killed after it; a stop Docker never confirms is given up on, so one
// stuck service delays only what it waits for, and only by its own timeout.
import type Docker from "dockerode";
import { dockerMessage, isNotFound } from "./docker-errors.ts";
import type { Engines } from "./engines.ts";
import { dependencyGraph } from "./graph.ts";
import { inspectNamed } from "./named.ts";
import type { Scope, Service } from "./service.ts";

/** killed: still running at the end of its grace period. not reached: its Docker did not answer. */
export type StopResult = "stopped" | "killed" | "not running" | "not reached" | "failed";
export interface Stopped { name: string; scope: Scope; result: StopResult; detail?: string }

export interface StopOptions { log?: (line: string) => void }

/** Docker's own grace period for a container that sets none. */
const DOCKER_DEFAULT_GRACE_S = 10;
/** Seconds beyond a container's grace period for Docker to confirm its stop before it is given up on. */
const MARGIN_S = 10;

export async function stopServices(services: Service[], engines: Engines, o: StopOptions = {}): Promise<Stopped[]> {
  const say = o.log ?? (() => undefined);
  const byName = new Map(services.map((s) => [s.name, s]));
  const { deps } = dependencyGraph(services);
  // As the runner starts them: user services after the `docker` service that runs them.
  if (byName.has("docker")) for (const s of services) if (s.scope === "user" && s.name !== "docker") deps.get(s.name)!.add("docker");

  let user: Promise<Docker | undefined> | undefined;
  const dockerFor = (scope: Scope): Promise<Docker | undefined> =>
    scope === "system"
      ? Promise.resolve(engines.system)
      : (user ??= engines.user().catch((e: Error) => {
          say(`${e.message}; its services stop with it`);
          return undefined;
        }));
  const stop = async (name: string, scope: Scope): Promise<Stopped> => {
    const r = await stopContainer(await dockerFor(scope), name, scope);
    say(`${name}: ${r.result}${r.detail ? ` (${r.detail})` : ""}`);
    return r;
  };

  // Containers on the system Docker that no service names (started by hand, or by a service since
  // disabled): nothing known waits for them, so they go first.
  const running = await engines.system.listContainers().catch(() => []);
  const extras = running.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id).filter((n) => byName.get(n)?.scope !== "system");
  const results = await Promise.all(extras.map((n) => stop(n, "system")));

  // Each service waits for the services that waited for it at the start.
  const waitingFor = new Map(services.map((s) => [s.name, new Set<string>()]));
  for (const [name, ds] of deps) for (const d of ds) waitingFor.get(d)!.add(name);
  await new Promise<void>((done) => {
    let inFlight = 0;
    const next = () => {
      const ready = [...waitingFor].filter(([, w]) => w.size === 0).map(([n]) => n);
      // Services left waiting on each other (a cycle the start refused) stop together.
      if (ready.length === 0 && inFlight === 0) ready.push(...waitingFor.keys());
      if (ready.length === 0 && inFlight === 0) return done();
      for (const name of ready) {
        waitingFor.delete(name);
        inFlight++;
        void stop(name, byName.get(name)!.scope).then((r) => {
          results.push(r);
          inFlight--;
          for (const w of waitingFor.values()) w.delete(name);
          next();
        });
      }
    };
    next();
  });
  return results;
}

async function stopContainer(docker: Docker | undefined, name: string, scope: Scope): Promise<Stopped> {
  const out = (result: StopResult, detail?: string): Stopped => ({ name, scope, result, ...(detail ? { detail } : {}) });
  if (!docker) return out("not reached");
  try {
    const info = await inspectNamed(docker, name);
    if (!info?.State.Running) return out("not running");
    const c = docker.getContainer(info.Id);
    const grace = (info.Config as { StopTimeout?: number }).StopTimeout ?? DOCKER_DEFAULT_GRACE_S;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const confirmed = await Promise.race([
      c.stop({ t: grace }).then(() => true, (e: { statusCode?: number }) => (e.statusCode === 304 ? true : Promise.reject(e))),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), (grace + MARGIN_S) * 1000))),
    ]).finally(() => clearTimeout(timer));
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (!confirmed) return out("failed", `Docker did not confirm its stop within ${grace + MARGIN_S} s; going on without it`);
    const after = (await c.inspect()).State;
    // SIGKILL's status, after the whole grace period: it did not stop when asked.
    if (after.ExitCode === 137 && Date.now() - started >= grace * 1000) return out("killed", `did not stop within its ${grace} s grace period`);
    return out("stopped", took);
  } catch (e) {
    return isNotFound(e) ? out("not running") : out("failed", dockerMessage(e));
  }
}
