// A stack's plan applied to a Swarm manager, and what `ros stack ls|ps|rm|scale` read and change.
// Deploying is idempotent: a network that exists is kept, a service whose spec hash is unchanged is
// left alone (so a scale done since survives), one whose file changed is updated in place.
import type Docker from "dockerode";
import { NAMESPACE, SPEC_HASH, type StackPlan } from "./specs.ts";

interface ServiceInfo { ID: string; Version: { Index: number }; Spec: { Name: string; Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas: number }; Global?: object }; TaskTemplate: { ContainerSpec: { Image: string } } } }
interface TaskInfo { ID: string; ServiceID: string; NodeID?: string; Slot?: number; DesiredState: string; Status: { State: string; Err?: string; Timestamp: string; ContainerStatus?: { ContainerID?: string } } }

export type Change = { kind: "network" | "service"; name: string; action: "created" | "updated" | "unchanged" | "removed" | "kept (external)" };

const byName = async (docker: Docker, name: string): Promise<ServiceInfo | undefined> => ((await docker.listServices({ filters: { name: [name] } })) as unknown as ServiceInfo[]).find((s) => s.Spec.Name === name);

export async function stackServices(docker: Docker, stack: string): Promise<ServiceInfo[]> {
  return ((await docker.listServices({ filters: { label: [`${NAMESPACE}=${stack}`] } })) as unknown as ServiceInfo[]).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
}

export async function deployStack(docker: Docker, plan: StackPlan, o: { prune?: boolean } = {}): Promise<Change[]> {
  const changes: Change[] = [];
  const networks = (await docker.listNetworks()) as { Name: string }[];
  for (const n of plan.networks) {
    if (n.external) {
      if (!networks.some((x) => x.Name === n.name)) throw new Error(`external network ${n.name} does not exist (create it, or drop external: from the stack file)`);
      changes.push({ kind: "network", name: n.name, action: "kept (external)" });
    } else if (networks.some((x) => x.Name === n.name)) changes.push({ kind: "network", name: n.name, action: "unchanged" });
    else {
      await docker.createNetwork(n.spec as unknown as Docker.NetworkCreateOptions);
      changes.push({ kind: "network", name: n.name, action: "created" });
    }
  }
  for (const s of plan.services) {
    const found = await byName(docker, s.name);
    if (!found) {
      await docker.createService(s.spec);
      changes.push({ kind: "service", name: s.name, action: "created" });
    } else if (found.Spec.Labels?.[SPEC_HASH] === s.spec.Labels[SPEC_HASH]) changes.push({ kind: "service", name: s.name, action: "unchanged" });
    else {
      await docker.getService(found.ID).update({ ...s.spec, version: found.Version.Index });
      changes.push({ kind: "service", name: s.name, action: "updated" });
    }
  }
  if (o.prune) {
    const keep = new Set(plan.services.map((s) => s.name));
    for (const s of await stackServices(docker, plan.stack)) {
      if (keep.has(s.Spec.Name)) continue;
      await docker.getService(s.ID).remove();
      changes.push({ kind: "service", name: s.Spec.Name, action: "removed" });
    }
  }
  return changes;
}

export interface StackSummary { name: string; services: number }
export async function listStacks(docker: Docker): Promise<StackSummary[]> {
  const counts = new Map<string, number>();
  for (const s of (await docker.listServices({ filters: { label: [NAMESPACE] } })) as unknown as ServiceInfo[]) {
    const stack = s.Spec.Labels![NAMESPACE]!;
    counts.set(stack, (counts.get(stack) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, services]) => ({ name, services }));
}

export interface TaskRow { id: string; name: string; image: string; node: string; desired: string; current: string; error: string }
export async function stackTasks(docker: Docker, stack: string): Promise<TaskRow[]> {
  const services = await stackServices(docker, stack);
  if (services.length === 0) return [];
  const nodes = new Map(((await docker.listNodes()) as { ID: string; Description?: { Hostname?: string }; Status?: { Addr?: string } }[]).map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  const tasks = (await docker.listTasks({ filters: { label: [`${NAMESPACE}=${stack}`] } })) as TaskInfo[];
  const names = new Map(services.map((s) => [s.ID, s]));
  return tasks
    .filter((t) => names.has(t.ServiceID))
    .map((t) => {
      const s = names.get(t.ServiceID)!;
      return { id: t.ID.slice(0, 12), name: `${s.Spec.Name}.${t.Slot ?? t.NodeID?.slice(0, 12)}`, image: s.Spec.TaskTemplate.ContainerSpec.Image, node: nodes.get(t.NodeID ?? "") ?? "-", desired: t.DesiredState, current: `${t.Status.State} ${t.Status.Timestamp}`, error: t.Status.Err ?? "" };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || b.current.localeCompare(a.current));
}

/** Removes the stack's services, then its networks once no task holds them; volumes stay (they hold data). */
export async function removeStack(docker: Docker, stack: string): Promise<Change[]> {
  const changes: Change[] = [];
  for (const s of await stackServices(docker, stack)) {
    await docker.getService(s.ID).remove();
    changes.push({ kind: "service", name: s.Spec.Name, action: "removed" });
  }
  const nets = (await docker.listNetworks({ filters: { label: [`${NAMESPACE}=${stack}`] } })) as { Id: string; Name: string }[];
  for (const n of nets) {
    // A network is busy until the tasks of the services just removed are gone.
    let gone = false;
    for (let tries = 0; !gone; tries++) {
      try {
        await docker.getNetwork(n.Id).remove();
        gone = true;
      } catch (e) {
        // A swarm network the manager already dropped can still be listed for a moment.
        if ((e as { statusCode?: number }).statusCode === 404) break;
        if (tries >= 60) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (gone) changes.push({ kind: "network", name: n.Name, action: "removed" });
  }
  return changes;
}

/** `SERVICE=N` for a replicated service, named in full (STACK_SERVICE). */
export async function scaleService(docker: Docker, name: string, replicas: number): Promise<void> {
  const s = await byName(docker, name);
  if (!s) throw new Error(`no service ${name} (ros stack ps STACK lists them; services are named STACK_SERVICE)`);
  if (!s.Spec.Mode?.Replicated) throw new Error(`${name} is a global service: it runs one task per node and cannot be scaled`);
  const spec = (await docker.getService(s.ID).inspect()) as { Spec: Record<string, unknown> & { Mode: { Replicated: { Replicas: number } } } };
  await docker.getService(s.ID).update({ ...spec.Spec, Mode: { Replicated: { Replicas: replicas } }, version: s.Version.Index });
}
