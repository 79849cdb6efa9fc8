// Upgrade by clone: the new image runs beside the old one as a second service (SERVICE-next) on the
// same networks, with the same mounts, constraints and health check, but without the old one's
// names and ports, so no traffic reaches it yet. Once every replica of the clone has run healthy for
// a while, the names (network aliases) and published ports move to it; the old service keeps
// running, unreachable by those names, until `--confirm` (the old service takes the new image, the
// traffic goes back to it, the clone goes) or `--rollback` (the traffic goes back, the clone goes).
// A clone that fails its checks is removed and nothing was switched; one that fails in the watch
// after the switch is switched back. Both states live in labels, so any manager can finish.
import type Docker from "dockerode";
import { SPEC_HASH } from "./specs.ts";

export const CLONE_OF = "io.corral.upgrade.clone-of";
export const STANDBY = "io.corral.upgrade.standby";

type Net = { Target: string; Aliases?: string[] };
type Spec = Record<string, unknown> & {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: { ContainerSpec: { Image: string } & Record<string, unknown>; Networks?: Net[] } & Record<string, unknown>;
  Mode?: { Replicated?: { Replicas: number }; Global?: object };
  EndpointSpec?: { Mode?: string; Ports?: unknown[] };
};
interface Service { ID: string; Version: { Index: number }; Spec: Spec }
interface Task { ID: string; DesiredState: string; Status: { State: string; Err?: string } }

/** The names and ports that carry a service's traffic. */
interface Traffic { aliases: Record<string, string[]>; ports: unknown[] }

export class UpgradeError extends Error {}

const cloneName = (name: string) => `${name}-next`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function find(docker: Docker, name: string): Promise<Service | undefined> {
  const all = (await docker.listServices({ filters: { name: [name] } })) as unknown as Service[];
  const s = all.find((x) => x.Spec.Name === name);
  return s && ((await docker.getService(s.ID).inspect()) as Service);
}

const trafficOf = (s: Spec): Traffic => ({
  aliases: Object.fromEntries((s.TaskTemplate.Networks ?? []).map((n) => [n.Target, n.Aliases ?? []])),
  ports: s.EndpointSpec?.Ports ?? [],
});

/** The spec carrying `t` (or, with undefined, no traffic at all); every task replaced at once, each new one started before its old one stops, so no gap opens. */
function withTraffic(s: Spec, t: Traffic | undefined, labels: Record<string, string | undefined>): Spec {
  const merged = { ...s.Labels, ...labels };
  return {
    ...s,
    Labels: Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined)),
    TaskTemplate: { ...s.TaskTemplate, Networks: (s.TaskTemplate.Networks ?? []).map((n) => ({ Target: n.Target, Aliases: t?.aliases[n.Target] ?? [] })) },
    EndpointSpec: { ...s.EndpointSpec, Ports: t?.ports ?? [] },
    UpdateConfig: { ...(s.UpdateConfig as object | undefined), Order: "start-first", Parallelism: 0 },
  };
}

async function update(docker: Docker, name: string, change: (s: Spec) => Spec): Promise<void> {
  const s = await find(docker, name);
  if (!s) throw new UpgradeError(`service ${name} is gone`);
  await docker.getService(s.ID).update({ ...change(s.Spec), version: s.Version.Index });
}

async function expectedReplicas(docker: Docker, s: Spec): Promise<number> {
  if (s.Mode?.Replicated) return s.Mode.Replicated.Replicas;
  const nodes = (await docker.listNodes()) as { Status: { State: string }; Spec: { Availability: string } }[];
  return nodes.filter((n) => n.Status.State === "ready" && n.Spec.Availability === "active").length;
}

/**
 * Waits until every replica of `name` runs (Swarm holds a task in "starting" until its health check
 * passes) and stays so for `settleMs`; a task that failed or was rejected is the failure it reports.
 */
export async function healthy(docker: Docker, name: string, o: { timeoutMs: number; settleMs: number }): Promise<{ ok: true } | { ok: false; why: string }> {
  const s = await find(docker, name);
  if (!s) return { ok: false, why: `service ${name} is gone` };
  const want = await expectedReplicas(docker, s.Spec);
  let since: number | undefined;
  for (const end = Date.now() + o.timeoutMs; Date.now() < end; await sleep(500)) {
    const tasks = (await docker.listTasks({ filters: { service: [name] } })) as Task[];
    const failed = tasks.find((t) => t.Status.State === "failed" || t.Status.State === "rejected");
    if (failed) return { ok: false, why: `a task ${failed.Status.State}: ${failed.Status.Err ?? "no reason given"}` };
    const up = tasks.filter((t) => t.DesiredState === "running" && t.Status.State === "running").length;
    if (up >= want) {
      since ??= Date.now();
      if (Date.now() - since >= o.settleMs) return { ok: true };
    } else since = undefined;
  }
  return { ok: false, why: `not every replica was running and healthy within ${o.timeoutMs / 1000} s` };
}

export interface UpgradeOptions { timeoutMs: number; settleMs: number; watchMs: number; progress?: (line: string) => void }
export type UpgradeResult = { switched: true; clone: string } | { switched: false; why: string };

export async function upgradeService(docker: Docker, name: string, image: string, o: UpgradeOptions): Promise<UpgradeResult> {
  const say = o.progress ?? (() => {});
  const old = await find(docker, name);
  if (!old) throw new UpgradeError(`no service ${name} (ros stack ps STACK lists them; services are named STACK_SERVICE)`);
  if (old.Spec.Labels?.[CLONE_OF]) throw new UpgradeError(`${name} is itself an upgrade's clone: upgrade ${old.Spec.Labels[CLONE_OF]}`);
  const clone = cloneName(name);
  if (old.Spec.Labels?.[STANDBY] || (await find(docker, clone))) throw new UpgradeError(`${name} has an upgrade waiting: ros stack upgrade ${name} --confirm, or --rollback`);
  const traffic = trafficOf(old.Spec);
  const { [SPEC_HASH]: _hash, ...labels } = old.Spec.Labels ?? {};
  const spec = withTraffic({ ...old.Spec, Name: clone, Labels: labels, TaskTemplate: { ...old.Spec.TaskTemplate, ContainerSpec: { ...old.Spec.TaskTemplate.ContainerSpec, Image: image } } }, undefined, { [CLONE_OF]: name });
  await docker.createService(spec as unknown as Docker.CreateServiceOptions);
  say(`${clone}: started beside ${name} with ${image}, checking its health`);
  const check = await healthy(docker, clone, o);
  if (!check.ok) {
    await docker.getService(clone).remove();
    return { switched: false, why: check.why };
  }
  say(`${clone}: healthy; switching ${name}'s traffic to it`);
  await update(docker, clone, (s) => withTraffic(s, traffic, {}));
  await update(docker, name, (s) => withTraffic(s, undefined, { [STANDBY]: clone, "io.corral.upgrade.traffic": JSON.stringify(traffic) }));
  // The clone restarts its tasks to take the names: watch it before calling the switch done.
  const watch = await healthy(docker, clone, { timeoutMs: o.timeoutMs, settleMs: o.watchMs });
  if (!watch.ok) {
    say(`${clone}: failed after the switch (${watch.why}); switching back`);
    await rollbackUpgrade(docker, name);
    return { switched: false, why: `after the switch: ${watch.why}` };
  }
  return { switched: true, clone };
}

/** The traffic the old service had before it stood by. */
async function standing(docker: Docker, name: string): Promise<{ clone: string; traffic: Traffic }> {
  const old = await find(docker, name);
  const clone = old?.Spec.Labels?.[STANDBY];
  if (!old || !clone) throw new UpgradeError(`${name} has no upgrade waiting (ros stack upgrade ${name} --image IMAGE starts one)`);
  return { clone, traffic: JSON.parse(old.Spec.Labels!["io.corral.upgrade.traffic"] ?? '{"aliases":{},"ports":[]}') as Traffic };
}

const settled = { "io.corral.upgrade.traffic": undefined, [STANDBY]: undefined };

/** The traffic back to the old service, which never stopped; the clone removed. */
export async function rollbackUpgrade(docker: Docker, name: string): Promise<void> {
  const { clone, traffic } = await standing(docker, name);
  await update(docker, clone, (s) => withTraffic(s, undefined, {}));
  await update(docker, name, (s) => withTraffic(s, traffic, settled));
  await docker.getService(clone).remove();
}

/** The old service takes the clone's image and the traffic back; the clone removed. */
export async function confirmUpgrade(docker: Docker, name: string, o: UpgradeOptions): Promise<void> {
  const { clone, traffic } = await standing(docker, name);
  const c = await find(docker, clone);
  if (!c) throw new UpgradeError(`the clone ${clone} is gone: ros stack upgrade ${name} --rollback`);
  const image = c.Spec.TaskTemplate.ContainerSpec.Image;
  await update(docker, name, (s) => ({ ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { ...s.TaskTemplate.ContainerSpec, Image: image } } }));
  const check = await healthy(docker, name, o);
  if (!check.ok) throw new UpgradeError(`${name} with ${image} is not healthy (${check.why}); the traffic stays on ${clone}`);
  await update(docker, name, (s) => withTraffic(s, traffic, settled));
  await docker.getService(clone).remove();
}
