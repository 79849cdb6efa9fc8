// What `ros agent …` does and prints: Docker's word on the membership when the user Docker answers,
// the agent's report (its last error, its next attempt) either way.
import Docker from "dockerode";
import { LeaveRefused, leaveSwarm } from "../../system-services/agent/leave.ts";
import { readState } from "../../system-services/agent/state.ts";
import { dockerMessage, managersOf, membership, roleOf } from "../../system-services/agent/swarm.ts";
import { paths } from "../paths.ts";
import { fail, say } from "./output.ts";

const userDocker = () => new Docker({ socketPath: paths.userDockerSocket });

export async function status(o: { output: string }): Promise<void> {
  const agent = readState();
  let live: Record<string, unknown>;
  try {
    const m = await membership(userDocker());
    const active = m.LocalNodeState === "active";
    live = { state: m.LocalNodeState, nodeId: m.NodeID || null, role: active ? roleOf(m) : null, clusterId: m.Cluster?.ID ?? null, managers: active ? managersOf(m) : [], error: m.Error || null };
  } catch (e) {
    live = { state: "unknown", error: `the user Docker does not answer: ${dockerMessage(e)}` };
  }
  if (o.output === "json") {
    say(JSON.stringify({ swarm: live, agent: agent ?? null }, null, 2));
    return;
  }
  say(`swarm:    ${live.state}${live.clusterId ? ` (cluster ${live.clusterId})` : ""}`);
  if (live.nodeId) say(`node:     ${live.nodeId}`);
  if (live.role) say(`role:     ${live.role}`);
  if (live.state === "active") say(`managers: ${(live.managers as string[]).join(", ") || "-"}`);
  if (live.error) say(`docker:   ${live.error}`);
  if (!agent) {
    say("agent:    no report (the agent service has not run this boot)");
    return;
  }
  say(`agent:    ${agent.phase}${agent.message ? `: ${agent.message}` : ""} (at ${agent.updated})`);
  for (const [name, outcome] of Object.entries(agent.stacks ?? {})) say(`stack:    ${name}: ${outcome}`);
  if (agent.lastError) say(`error:    ${agent.lastError}${agent.failures ? ` (${agent.failures} failed attempts${agent.nextAttempt ? `, next at ${agent.nextAttempt}` : ""})` : ""}`);
}

export async function leave(o: { force?: boolean }): Promise<void> {
  try {
    say(await leaveSwarm(userDocker(), o));
  } catch (e) {
    fail([`ros agent leave: ${e instanceof LeaveRefused ? e.message : dockerMessage(e)}`]);
  }
}
