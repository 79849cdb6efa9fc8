// The swarm agent's decisions: init or join from rancher.agent.swarm and Docker's swarm state, a
// member left alone, a stale pending join dropped, `ros agent leave` respected, a role that the
// token contradicts named; the backoff doubles and caps, and its sleep stops on abort; labels merge without churn; the token is
// read from token_file under ROS_ROOT; a service with io.corral.os.enabled_by runs only when its
// setting is there; Docker's errors carry a hint; the agent's service.yml is a valid service of the image's config.
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { osConfigText } from "../../build/os-config.ts";
import { parse } from "yaml";
import { backoffMs, sleep } from "../../system-services/agent/backoff.ts";
import { withHint } from "../../system-services/agent/hint.ts";
import { mergedLabels } from "../../system-services/agent/labels.ts";
import { DEFAULT_LISTEN, plan, roleMismatch } from "../../system-services/agent/plan.ts";
import { joinToken, TokenError } from "../../system-services/agent/token.ts";
import { enabledBy } from "../../os/services/enabled-by.ts";

const inactive = { LocalNodeState: "inactive" };

test("no rancher.agent.swarm: nothing to do", () => {
  assert.equal(plan({ swarm: undefined, info: inactive, left: false }).do, "nothing");
});

test("init: true inits with the configured addresses, or Docker's default listen address", () => {
  assert.deepEqual(plan({ swarm: { init: true, advertise_addr: "10.0.0.1", listen_addr: "10.0.0.1:2377" }, info: inactive, left: false }), { do: "init", listenAddr: "10.0.0.1:2377", advertiseAddr: "10.0.0.1" });
  assert.deepEqual(plan({ swarm: { init: true }, info: inactive, left: false }), { do: "init", listenAddr: DEFAULT_LISTEN });
});

test("join: the manager addresses; already a member, restarted: nothing to do", () => {
  const swarm = { join: ["10.0.0.1:2377", "10.0.0.2:2377"], token: "SWMTKN-1-x" };
  assert.deepEqual(plan({ swarm, info: inactive, left: false }), { do: "join", remoteAddrs: swarm.join, listenAddr: DEFAULT_LISTEN });
  const member = plan({ swarm, info: { LocalNodeState: "active", NodeID: "abc" }, left: false });
  assert.equal(member.do, "nothing");
  assert.match((member as { why: string }).why, /already in the swarm as node abc/);
  // init: true on the first manager after its reboot: it is in its swarm already, no second one.
  assert.equal(plan({ swarm: { init: true }, info: { LocalNodeState: "active", NodeID: "m1" }, left: false }).do, "nothing");
});

test("a pending first join is dropped (to be tried again), a member reconnecting is not; a locked swarm waits; neither init nor join waits with why", () => {
  assert.equal(plan({ swarm: { join: ["a:2377"], token: "t" }, info: { LocalNodeState: "pending" }, left: false }).do, "abandon");
  // A member rebooted while its managers are out of reach: Docker reconnects it, the agent waits.
  assert.equal(plan({ swarm: { join: ["a:2377"], token: "t" }, info: { LocalNodeState: "pending", NodeID: "n2" }, left: false }).do, "wait");
  assert.equal(plan({ swarm: { init: true }, info: { LocalNodeState: "locked" }, left: false }).do, "wait");
  const step = plan({ swarm: { role: "worker" }, info: inactive, left: false });
  assert.equal(step.do, "wait");
  assert.match((step as { why: string }).why, /neither init: true nor join/);
});

test("after `ros agent leave` the agent stays out, also from a swarm in error", () => {
  for (const state of ["inactive", "error"]) assert.equal(plan({ swarm: { init: true }, info: { LocalNodeState: state }, left: true }).do, "nothing");
});

test("a role the token contradicts is named; a matching role is not", () => {
  assert.match(roleMismatch({ role: "manager" }, { LocalNodeState: "active", ControlAvailable: false }) ?? "", /role is manager but this node is a worker/);
  assert.equal(roleMismatch({ role: "worker" }, { LocalNodeState: "active", ControlAvailable: false }), undefined);
  assert.equal(roleMismatch({ role: "manager" }, { LocalNodeState: "inactive" }), undefined);
});

test("backoff doubles from its base, caps, and jitters within its share", () => {
  const b = { baseMs: 1000, capMs: 8000, jitter: 0 };
  assert.deepEqual([1, 2, 3, 4, 5, 50, 5000].map((n) => backoffMs(n, b)), [1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  const j = { baseMs: 1000, capMs: 60_000, jitter: 0.2 };
  assert.equal(backoffMs(1, j, () => 0), 800);
  assert.equal(backoffMs(1, j, () => 0.999999), 1200);
  assert.ok(backoffMs(10, j, () => 0.999999) <= 60_000);
});

test("a sleep ends early on abort, and one that ran its time leaves no listener on the signal", async () => {
  const c = new AbortController();
  for (let i = 0; i < 20; i++) await sleep(1, c.signal);
  assert.equal(getEventListeners(c.signal, "abort").length, 0);
  const started = Date.now();
  const long = sleep(60_000, c.signal);
  c.abort();
  await long;
  assert.ok(Date.now() - started < 1000);
});

test("labels: merged over the node's own, strings, and nothing to write when they already match", () => {
  assert.deepEqual(mergedLabels({ zone: "a", other: "x" }, { zone: "b", ssd: true, rack: 3 }), { zone: "b", other: "x", ssd: "true", rack: "3" });
  assert.equal(mergedLabels({ zone: "a", ssd: "true" }, { zone: "a", ssd: true }), undefined);
  assert.equal(mergedLabels(undefined, undefined), undefined);
});

test("the token comes from token, or token_file's first line, read again at each call", () => {
  // Outside ROS_ROOT's folders (hostPath leaves /tmp as it is), so the test needs no root tree.
  const file = join(mkdtempSync(join(tmpdir(), "corral-agent-")), "swarm-token");
  assert.equal(joinToken({ token: " SWMTKN-1-a \n" }), "SWMTKN-1-a");
  assert.throws(() => joinToken({ token_file: file }), (e: Error) => e instanceof TokenError && /does not exist \(yet\)/.test(e.message));
  assert.throws(() => joinToken({}), /set rancher.agent.swarm.token or token_file/);
  writeFileSync(file, "");
  assert.throws(() => joinToken({ token_file: file }), /is empty/);
  writeFileSync(file, "SWMTKN-1-b\nignored\n");
  assert.equal(joinToken({ token_file: file }), "SWMTKN-1-b");
});

test("io.corral.os.enabled_by: the service runs only when its setting is there", () => {
  const def = { image: "x", labels: { "io.corral.os.enabled_by": "rancher.agent.swarm" } };
  assert.equal(enabledBy(def, {}), false);
  assert.equal(enabledBy(def, { rancher: { agent: { url: "wss://x" } } }), false);
  assert.equal(enabledBy(def, { rancher: { agent: { swarm: { init: true } } } }), true);
  assert.equal(enabledBy({ image: "x" }, {}), true);
});

test("the image's config has the agent service, always on (it serves the host API)", () => {
  const agent = (parse(osConfigText("0.0.0")) as { rancher: { services: Record<string, { labels: Record<string, string>; command: string[] }> } }).rancher.services.agent!;
  assert.deepEqual(agent.command, ["/usr/bin/ros", "agent-init"]);
  assert.equal(agent.labels["io.corral.os.enabled_by"], undefined);
});

test("Docker's join errors carry a hint naming the setting to look at", () => {
  assert.match(withHint("rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster"), /the join token is wrong: .*token_file\)$/);
  assert.match(withHint("Timeout was reached before node joined. The attempt to join the swarm will continue in the background."), /no manager in rancher.agent.swarm.join answered/);
  assert.match(withHint("rpc error: code = Unavailable desc = connection error"), /no manager .* answered/);
  assert.equal(withHint("something else"), "something else");
});
