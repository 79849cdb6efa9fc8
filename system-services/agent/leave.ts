// Leaving the swarm cleanly: a worker just leaves; a manager first hands its vote back (demoted to
// worker by the managers, so the quorum shrinks with it) and then leaves. The last manager leaves
// only with force, because that ends the swarm's control plane.
import type Docker from "dockerode";
import { atomicWrite } from "../../os/atomic-write.ts";
import { paths } from "../../os/paths.ts";
import { dockerMessage, membership, roleOf } from "./swarm.ts";

export class LeaveRefused extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function leaveSwarm(docker: Docker, o: { force?: boolean; demoteTimeoutMs?: number } = {}): Promise<string> {
  const m = await membership(docker);
  // Marked first: the agent must not join again between our leave and its next pass.
  atomicWrite(paths.agentLeft, `${new Date().toISOString()}\n`);
  if (m.LocalNodeState === "inactive") return "not in a swarm";
  if (roleOf(m) === "manager" && !o.force) {
    const others = (m.RemoteManagers ?? []).filter((r) => r.NodeID !== m.NodeID);
    if (others.length === 0) throw new LeaveRefused("this node is the swarm's last manager: leaving ends the swarm (use -f to leave anyway)");
    const node = docker.getNode(m.NodeID!);
    const { Version, Spec } = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
    await node.update({ _query: { version: Version.Index }, _body: { ...Spec, Role: "worker" } });
    // The demotion lands through the raft log; leave only once this node no longer votes.
    const until = Date.now() + (o.demoteTimeoutMs ?? 30_000);
    while ((await membership(docker)).ControlAvailable) {
      if (Date.now() > until) throw new LeaveRefused("demoted, but this node is still a manager after 30s (is the swarm's quorum lost?); use -f to leave anyway");
      await sleep(500);
    }
  }
  try {
    await docker.swarmLeave({ force: Boolean(o.force) });
  } catch (e) {
    throw new LeaveRefused(dockerMessage(e));
  }
  return `left the swarm (node ${m.NodeID})`;
}
