// The user Docker's swarm API as the agent uses it (dockerode): membership, init, join, labels,
// leave. Each call does one request; deciding what to call is plan.ts's job.
import type Docker from "dockerode";
import type { Step, SwarmInfo } from "./plan.ts";

export interface Membership extends SwarmInfo {
  Cluster?: { ID?: string };
  RemoteManagers?: { NodeID: string; Addr: string }[] | null;
}

export async function membership(docker: Docker): Promise<Membership> {
  return ((await docker.info()) as { Swarm: Membership }).Swarm;
}

export const roleOf = (m: Membership): "manager" | "worker" => (m.ControlAvailable ? "manager" : "worker");
export const managersOf = (m: Membership): string[] => (m.RemoteManagers ?? []).map((r) => r.Addr).sort();

/** Docker's error text, without dockerode's "(HTTP code 503) unexpected - " prefix. */
export function dockerMessage(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string };
  return (err.json?.message ?? err.message ?? String(e)).trim();
}

export async function carryOut(docker: Docker, step: Extract<Step, { do: "init" | "join" | "abandon" }>, token?: string): Promise<void> {
  const advertise = (a?: string) => (a ? { AdvertiseAddr: a } : {});
  if (step.do === "init") await docker.swarmInit({ ListenAddr: step.listenAddr, ...advertise(step.advertiseAddr) });
  else if (step.do === "join") await docker.swarmJoin({ RemoteAddrs: step.remoteAddrs, JoinToken: token, ListenAddr: step.listenAddr, ...advertise(step.advertiseAddr) });
  // A pending join is not a member yet: nothing of the swarm's is lost by forcing it out.
  else await docker.swarmLeave({ force: true });
}

/** Writes the node's labels (a manager's request: Docker refuses node updates from workers). */
export async function setNodeLabels(docker: Docker, nodeId: string, labels: (current: Record<string, string> | undefined) => Record<string, string> | undefined): Promise<boolean> {
  const node = docker.getNode(nodeId);
  const { Version, Spec } = (await node.inspect()) as { Version: { Index: number }; Spec: { Labels?: Record<string, string> } };
  const next = labels(Spec.Labels);
  if (!next) return false;
  await node.update({ _query: { version: Version.Index }, _body: { ...Spec, Labels: next } });
  return true;
}
