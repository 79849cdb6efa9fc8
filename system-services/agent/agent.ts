// The agent's reconcile loop: ask the user Docker where this node stands, take plan.ts's next step,
// report it (state.ts), and come back — at once after a step that worked, after a backoff after one
// that failed, every `refreshMs` once there is nothing to do (a node that leaves outside our
// control, or reboots out of the swarm, is noticed).
import { existsSync } from "node:fs";
import type Docker from "dockerode";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { backoffMs, DEFAULT_BACKOFF, sleep, type Backoff } from "./backoff.ts";
import { withHint } from "./hint.ts";
import { mergedLabels } from "./labels.ts";
import { plan, roleMismatch, type Step, type SwarmConfig } from "./plan.ts";
import { writeState, type AgentState } from "./state.ts";
import { carryOut, dockerMessage, managersOf, membership, roleOf, setNodeLabels, type Membership } from "./swarm.ts";
import { joinToken } from "./token.ts";

export interface AgentOptions {
  docker: Docker;
  /** Read at every pass, so a config change (or a token written later) applies without a restart. */
  swarm: () => SwarmConfig | undefined;
  backoff?: Backoff;
  refreshMs?: number;
  signal?: AbortSignal;
  /** rancher.stacks, deployed on every pass while this node is the swarm's first manager (idempotent). */
  stacks?: () => Promise<Record<string, string>>;
  /** The report and `ros agent leave`'s mark (paths.agentState, paths.agentLeft unless a test says). */
  files?: { state: string; left: string };
}

const WAITING_POLL_MS = 3_000;
const say = (m: string) => log("agent", m);

/** What a member reports, labels applied where Docker lets this node apply them. */
async function asMember(o: AgentOptions, swarm: SwarmConfig | undefined, m: Membership): Promise<Omit<AgentState, "updated">> {
  const { docker } = o;
  const notes: string[] = [];
  const mismatch = roleMismatch(swarm, m);
  if (mismatch) notes.push(mismatch);
  if (swarm?.labels && Object.keys(swarm.labels).length) {
    if (m.ControlAvailable) {
      if (await setNodeLabels(docker, m.NodeID!, (cur) => mergedLabels(cur, swarm.labels))) say(`node labels set: ${Object.keys(swarm.labels).join(", ")}`);
    } else notes.push("labels: a worker cannot set node labels (Docker takes node updates from managers only); set them from a manager");
  }
  const stacks = o.stacks && swarm?.init && m.ControlAvailable ? await o.stacks() : undefined;
  for (const [name, outcome] of Object.entries(stacks ?? {})) if (outcome.startsWith("error: ")) notes.push(`stack ${name}: ${outcome.slice(7)}`);
  return { phase: "member", nodeId: m.NodeID, role: roleOf(m), clusterId: m.Cluster?.ID, managers: managersOf(m), failures: 0, ...(stacks && Object.keys(stacks).length ? { stacks } : {}), ...(notes.length ? { lastError: notes.join("; ") } : {}) };
}

/** Runs until `signal` aborts. `onState` sees every report (tests wait on it). */
export async function runAgent(o: AgentOptions, onState: (s: AgentState) => void = () => {}): Promise<void> {
  const b = o.backoff ?? DEFAULT_BACKOFF;
  let failures = 0;
  let lastError: string | undefined;
  let lastSaid = "";
  const files = o.files ?? { state: paths.agentState, left: paths.agentLeft };
  const report = (s: Omit<AgentState, "updated">) => onState(writeState(s, files.state));
  const tell = (m: string) => m !== lastSaid && (say(m), (lastSaid = m));
  while (!o.signal?.aborted) {
    const swarm = o.swarm();
    let step: Step | undefined;
    try {
      const m = await membership(o.docker);
      step = plan({ swarm, info: m, left: existsSync(files.left) });
      if (step.do === "nothing" || step.do === "wait") {
        if (m.LocalNodeState === "active") {
          const s = await asMember(o, swarm, m);
          tell(`${step.why} (${s.role}; managers ${s.managers?.join(", ") || "-"})`);
          report(s);
        } else {
          tell(step.why);
          report({ phase: existsSync(files.left) ? "left" : step.do === "wait" ? "joining" : "idle", failures, message: step.why, ...(lastError ? { lastError } : {}) });
        }
        failures = 0;
        // A member is checked on every refresh; a node on its way in (reconnecting) more often.
        const refresh = o.refreshMs ?? 30_000;
        await sleep(m.LocalNodeState === "active" ? refresh : Math.min(refresh, WAITING_POLL_MS), o.signal);
        continue;
      }
      const token = step.do === "join" ? joinToken(swarm!) : undefined;
      say(step.do === "init" ? `initializing a swarm (listen ${step.listenAddr}${step.advertiseAddr ? `, advertise ${step.advertiseAddr}` : ""})` : step.do === "join" ? `joining ${step.remoteAddrs.join(", ")}` : `leaving a join in progress: ${step.why}`);
      await carryOut(o.docker, step, token);
      // Dropping a stale join is not progress: the backoff keeps growing until a join works.
      if (step.do !== "abandon") (failures = 0), (lastError = undefined);
    } catch (e) {
      failures++;
      // Only a member's label update fails after a "nothing to do".
      const what = step ? (step.do === "nothing" || step.do === "wait" ? "node labels" : step.do) : undefined;
      lastError = what ? `${what}: ${withHint(dockerMessage(e))}` : `the user Docker does not answer: ${dockerMessage(e)}`;
      const wait = backoffMs(failures, b);
      say(`${lastError}; trying again in ${(wait / 1000).toFixed(1)}s (attempt ${failures + 1})`);
      lastSaid = "";
      report({ phase: "joining", failures, lastError, nextAttempt: new Date(Date.now() + wait).toISOString() });
      await sleep(wait, o.signal);
    }
  }
}
