// The agent's report (paths.agentState): what it last saw and did, read by `ros agent status`.
import { existsSync, readFileSync } from "node:fs";
import { atomicWrite } from "../../os/atomic-write.ts";
import { paths } from "../../os/paths.ts";

export interface AgentState {
  /** What the agent is at: joining (trying), member (in the swarm), idle (nothing to do), left. */
  phase: "joining" | "member" | "idle" | "left";
  nodeId?: string;
  role?: "manager" | "worker";
  clusterId?: string;
  managers?: string[];
  /** The last thing that went wrong, kept until an attempt succeeds. */
  lastError?: string;
  /** Failed attempts in a row, and when the next one is due (ISO time). */
  failures: number;
  nextAttempt?: string;
  message?: string;
  /** rancher.stacks on the first manager: each stack's last outcome ("deployed (…)" or "error: …"). */
  stacks?: Record<string, string>;
  updated: string;
}

export function writeState(s: Omit<AgentState, "updated">, file = paths.agentState): AgentState {
  const full = { ...s, updated: new Date().toISOString() };
  atomicWrite(file, `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

export function readState(file = paths.agentState): AgentState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as AgentState;
  } catch {
    // Written atomically, so only a hand edit breaks it: as good as no report.
    return undefined;
  }
}
