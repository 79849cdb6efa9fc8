// The agent's loop against a fake user Docker: a stale pending join is dropped, failed joins back
// off longer and longer (dropping the pending join does not reset the count), the token is read at
// each attempt, and once in the swarm the node is reported and left alone; a manager's labels are
// written once.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type Docker from "dockerode";
import { runAgent } from "../../system-services/agent/agent.ts";
import type { AgentState } from "../../system-services/agent/state.ts";

/** A user Docker whose swarm state is `swarm`; `join` answers with the next of `joins` (an error or ok). */
function fakeDocker(joins: (Error | "ok")[]) {
  const calls: string[] = [];
  let swarm: Record<string, unknown> = { LocalNodeState: "pending" };
  let labels: Record<string, string> = { keep: "1" };
  const docker = {
    info: async () => ({ Swarm: swarm }),
    swarmLeave: async () => (calls.push("leave"), (swarm = { LocalNodeState: "inactive" })),
    swarmJoin: async (o: { JoinToken: string }) => {
      calls.push(`join ${o.JoinToken}`);
      const r = joins.shift() ?? "ok";
      if (r !== "ok") throw r;
      swarm = { LocalNodeState: "active", NodeID: "n1", ControlAvailable: true, Cluster: { ID: "c1" }, RemoteManagers: [{ NodeID: "n0", Addr: "10.0.0.1:2377" }, { NodeID: "n1", Addr: "10.0.0.2:2377" }] };
    },
    getNode: () => ({
      inspect: async () => ({ Version: { Index: 7 }, Spec: { Role: "manager", Labels: labels } }),
      update: async (o: { _query: { version: number }; _body: { Labels: Record<string, string> } }) => (calls.push(`labels v${o._query.version}`), (labels = o._body.Labels)),
    }),
  };
  return { docker: docker as unknown as Docker, calls, labels: () => labels };
}

test("pending join dropped, joins retried with growing backoff and a fresh token, then a member left alone", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-agent-loop-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "T1\n");
  const refused = Object.assign(new Error("(HTTP code 400) unexpected - invalid join token"), { json: { message: "rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster" } });
  const fake = fakeDocker([refused, refused]);
  const stop = new AbortController();
  const seen: AgentState[] = [];
  const waits: number[] = [];
  await runAgent(
    { docker: fake.docker, swarm: () => ({ role: "manager", join: ["10.0.0.1:2377"], token_file: tokenFile, labels: { zone: "a" } }), backoff: { baseMs: 5, capMs: 40, jitter: 0 }, refreshMs: 5, signal: stop.signal, files: { state: join(dir, "state.json"), left: join(dir, "left") } },
    (s) => {
      seen.push(s);
      if (s.nextAttempt) waits.push(s.failures);
      // The operator fixes the token after the second refusal.
      if (s.failures === 2) writeFileSync(tokenFile, "T2\n");
      if (s.phase === "member" && seen.filter((x) => x.phase === "member").length === 2) stop.abort();
    },
  );
  assert.deepEqual(fake.calls, ["leave", "join T1", "join T1", "join T2", "labels v7"]);
  assert.deepEqual(waits, [1, 2]);
  assert.match(seen[0]!.lastError!, /^join: rpc error: .*A valid join token .*\(the join token is wrong/);
  const last = seen.at(-1)!;
  assert.deepEqual({ phase: last.phase, nodeId: last.nodeId, role: last.role, clusterId: last.clusterId, managers: last.managers, failures: last.failures, lastError: last.lastError }, { phase: "member", nodeId: "n1", role: "manager", clusterId: "c1", managers: ["10.0.0.1:2377", "10.0.0.2:2377"], failures: 0, lastError: undefined });
  assert.deepEqual(fake.labels(), { keep: "1", zone: "a" });
});

test("after `ros agent leave` (its mark present), an inactive node stays out and says why", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-agent-loop-"));
  writeFileSync(join(dir, "left"), "now\n");
  const fake = fakeDocker([]);
  (fake.docker as unknown as { info: () => Promise<unknown> }).info = async () => ({ Swarm: { LocalNodeState: "inactive" } });
  const stop = new AbortController();
  let state: AgentState | undefined;
  await runAgent({ docker: fake.docker, swarm: () => ({ init: true }), refreshMs: 5, signal: stop.signal, files: { state: join(dir, "state.json"), left: join(dir, "left") } }, (s) => ((state = s), stop.abort()));
  assert.deepEqual(fake.calls, []);
  assert.equal(state?.phase, "left");
  assert.match(state?.message ?? "", /ros agent leave/);
});
