// A real Docker Swarm of three hosts on this machine: three dockerd, each in a network namespace of
// its own (names start with csw), joined by veth pairs to a bridge in a fourth namespace; each with
// a ROS_ROOT tree whose cloud-config sets rancher.agent.swarm, and the agent (`ros agent-init`)
// running against it. n1 inits, n2 joins as a worker and n3 as a manager with the tokens read from
// n1 (n2 first cut off from the manager, n3 first with a wrong token: clear errors, retried with
// backoff until the link is back and the right token is in token_file).
// A replicated service then runs a task on every node; agents restarted change nothing; a worker
// rebooted is back as the same node; `ros agent leave` takes a worker and a manager out, and the
// last manager stays unless forced.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { run } from "../../os/exec.ts";
import type { AgentState } from "../../system-services/agent/state.ts";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { killHostDockerd, sleep, startHostDockerd, swarmLab, until, type SwarmHost } from "./swarm-nodes.ts";

const MAIN = join(import.meta.dirname, "../../os/cli/main.ts");
const IMAGE = "corral-test/busybox:swarm";
const TOKEN_FILE = "/var/lib/rancher/conf/swarm-token";
const lab = swarmLab("csw", "10.78.0");
const HUB = lab.hub;

type Node = SwarmHost & { agent?: { child: ChildProcess; log: () => string } };
const nodes: Node[] = lab.hosts;
const [n1, n2, n3] = nodes as [Node, Node, Node];

function setSwarm(n: Node, swarm: object, more: object = {}): void {
  mkdirSync(join(n.root, "var/lib/rancher/conf"), { recursive: true });
  writeFileSync(join(n.root, "var/lib/rancher/conf/cloud-config.yml"), stringify({ rancher: { agent: { swarm }, ...more } }));
}

// rancher.stacks on the first manager: one from a file with a variable, one inline, one broken.
const plainNet = { default: { driver_opts: { encrypted: "false" } } };
const STACKS = {
  hello: { file: "/var/lib/rancher/conf/stacks/hello.yml", vars: { SLEEP: 3600 } },
  inline: { compose: { services: { idle: { image: IMAGE, command: ["sleep", "3600"], deploy: { endpoint_mode: "dnsrr" } } }, networks: plainNet } },
  broken: { file: "/var/lib/rancher/conf/stacks/broken.yml" },
};
function writeStackFiles(n: Node): void {
  const dir = join(n.root, "var/lib/rancher/conf/stacks");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "hello.yml"), stringify({ services: { hello: { image: IMAGE, command: ["sleep", "${SLEEP}"], deploy: { endpoint_mode: "dnsrr" } } }, networks: plainNet }));
  writeFileSync(join(dir, "broken.yml"), "services:\n  web:\n    image: x\n    deploy:\n      replicas: lots\n");
}
const writeToken = (n: Node, token: string) => writeFileSync(join(n.root, TOKEN_FILE), `${token}\n`);

function startAgent(n: Node): void {
  let log = "";
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "agent-init"], { env: { ...process.env, ROS_ROOT: n.root }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  n.agent = { child, log: () => log };
}
async function stopAgent(n: Node): Promise<void> {
  const child = n.agent?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

const state = (n: Node): AgentState | undefined => {
  const f = join(n.root, "run/ros/agent/state.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as AgentState) : undefined;
};
const member = (n: Node, since = "", ms = 30_000) => until(`${n.name} in the swarm (agent log:\n${n.agent?.log()})`, () => {
  const s = state(n);
  return s?.phase === "member" && s.updated > since && s;
}, ms);
const swarmState = async (n: Node) => ((await n.docker.info()) as { Swarm: { LocalNodeState: string; NodeID: string; Cluster?: { ID: string } } }).Swarm;

/** `ros …` for the node: exit code and output. */
function ros(n: Node, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { env: { ...process.env, ROS_ROOT: n.root } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
}

describe("the agent forms a swarm of three namespaced Dockers from cloud-config", { timeout: 240_000 }, () => {
  before(async () => {
    await lab.up();
    // No registry: a service's image must be on every node already.
    await Promise.all(nodes.map((n) => importBusybox(n.docker, IMAGE)));
    setSwarm(n1, { init: true, role: "manager", advertise_addr: n1.addr, listen_addr: `${n1.addr}:2377`, labels: { zone: "a" } }, { stacks: STACKS });
    writeStackFiles(n1);
    setSwarm(n2, { role: "worker", join: [`${n1.addr}:2377`], token_file: TOKEN_FILE, advertise_addr: n2.addr, listen_addr: `${n2.addr}:2377` });
    setSwarm(n3, { role: "manager", join: [`${n1.addr}:2377`], token_file: TOKEN_FILE, advertise_addr: n3.addr, listen_addr: `${n3.addr}:2377`, labels: { zone: "c" } });
  });

  after(async () => {
    await Promise.all(nodes.map((n) => stopAgent(n).catch(() => {})));
    await lab.down();
  });

  test("n1 inits the swarm from init: true, as a manager, with its labels", async () => {
    startAgent(n1);
    const s = await member(n1);
    assert.equal(s.role, "manager");
    assert.deepEqual(s.managers, [`${n1.addr}:2377`]);
    const node = (await n1.docker.getNode(s.nodeId!).inspect()) as { Spec: { Labels: Record<string, string> } };
    assert.equal(node.Spec.Labels.zone, "a");
  });

  test("n2 joins as a worker once the manager is reachable; n3 with a wrong token says so and retries until it is right", async (t) => {
    const t0 = Date.now();
    const { JoinTokens } = (await n1.docker.swarmInspect()) as { JoinTokens: { Worker: string; Manager: string } };
    writeToken(n2, JoinTokens.Worker);
    // The right swarm's CA, the wrong secret: the manager itself refuses it.
    writeToken(n3, JoinTokens.Manager.replace(/-[a-z0-9]+$/, "-0123456789abcdefghijklmno"));
    // n2's cable is out at first: the manager does not answer until it is back.
    await run("ip", ["-n", HUB, "link", "set", n2.cable, "down"]);
    startAgent(n2);
    startAgent(n3);
    const cut = await until("n2's first failed attempt", () => {
      const s = state(n2);
      return s && s.failures >= 1 && s;
    }, 60_000);
    t.diagnostic(`n2 unplugged, after ${Date.now() - t0} ms: ${cut.lastError}`);
    assert.match(cut.lastError!, /no manager in rancher.agent.swarm.join answered/);
    await run("ip", ["-n", HUB, "link", "set", n2.cable, "up"]);
    const plugged = Date.now();
    const s2 = await member(n2, "", 90_000);
    t.diagnostic(`n2 joined ${Date.now() - plugged} ms after its link came back`);
    assert.equal(s2.role, "worker");
    assert.deepEqual(s2.managers, [`${n1.addr}:2377`]);
    assert.match(s2.lastError ?? "", /a worker cannot set node labels|^$/);

    const failing = await until("n3's second failed attempt", () => {
      const s = state(n3);
      return s && s.failures >= 2 && s;
    });
    t.diagnostic(`n3 after ${failing.failures} attempts (${Date.now() - t0} ms): ${failing.lastError}`);
    assert.equal(failing.phase, "joining");
    assert.match(failing.lastError!, /^join: .*(token|fingerprint)/i, failing.lastError);
    assert.ok(failing.nextAttempt, "the next attempt's time is reported");
    const status = await ros(n3, "agent", "status");
    assert.match(status.out, /error: +join: .*failed attempts/, status.out);

    writeToken(n3, JoinTokens.Manager);
    const fixed = Date.now();
    const s3 = await member(n3);
    t.diagnostic(`n3 joined ${Date.now() - fixed} ms after its token_file was fixed`);
    assert.equal(s3.role, "manager");
    assert.equal(s3.lastError, undefined);
    const node3 = (await n1.docker.getNode(s3.nodeId!).inspect()) as { Spec: { Labels: Record<string, string>; Role: string } };
    assert.equal(node3.Spec.Labels.zone, "c");
    const nodesSeen = (await n1.docker.listNodes()) as { Status: { State: string; Addr: string } }[];
    assert.deepEqual(nodesSeen.map((x) => x.Status.Addr).sort(), nodes.map((n) => n.addr));
  });

  test("a replicated service runs a task on every node", async () => {
    const ids = await Promise.all(nodes.map(async (n) => (await swarmState(n)).NodeID));
    await n1.docker.createService({
      Name: "csw-spread",
      TaskTemplate: { ContainerSpec: { Image: IMAGE, Command: ["sleep", "3600"] }, Placement: { MaxReplicas: 1 } },
      Mode: { Replicated: { Replicas: 3 } },
    });
    const running = await until("a running task on each node", async () => {
      const tasks = (await n1.docker.listTasks({ filters: { service: ["csw-spread"], "desired-state": ["running"] } })) as { NodeID: string; Status: { State: string } }[];
      const on = tasks.filter((t) => t.Status.State === "running").map((t) => t.NodeID).sort();
      return on.length === 3 && on;
    }, 60_000);
    assert.deepEqual(running, [...ids].sort());
    await n1.docker.getService("csw-spread").remove();
  });

  test("the first manager deploys rancher.stacks; a broken one is reported with its line, the others run", async () => {
    const s = await until("n1's stacks deployed", () => {
      const now = state(n1);
      return now?.stacks?.inline ? now : undefined;
    });
    // A later pass reports them unchanged; the first one's changes are in the log.
    assert.match(s.stacks!.hello!, /^deployed \(\d created, 0 updated, \d unchanged\)$/);
    await until("the first deploy's log lines", () => /stack hello: deployed \(2 created, 0 updated, 0 unchanged\)/.test(n1.agent!.log()) && /stack inline: deployed \(2 created/.test(n1.agent!.log()), 10_000);
    assert.match(s.stacks!.broken!, /^error: .*broken\.yml:5:17: services\.web\.deploy\.replicas: /);
    assert.match(s.lastError ?? "", /stack broken: /);
    const spec = ((await n1.docker.getService("hello_hello").inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Args: string[] } } } }).Spec;
    assert.deepEqual(spec.TaskTemplate.ContainerSpec.Args, ["sleep", "3600"]);
    await n1.docker.getService("inline_idle").inspect();
    const status = await ros(n1, "agent", "status");
    assert.match(status.out, /^stack: +broken: error: /m);
  });

  test("agents restarted change nothing: same nodes, same swarm, no join", async () => {
    const helloVersion = ((await n1.docker.getService("hello_hello").inspect()) as { Version: { Index: number } }).Version.Index;
    const before1 = await swarmState(n1);
    const before2 = await swarmState(n2);
    for (const n of [n1, n2]) {
      const since = state(n)!.updated;
      await stopAgent(n);
      startAgent(n);
      await member(n, since);
      // Its output reaches the test through a pipe, a little after the report it writes.
      await until("the agent's log line", () => /already in the swarm/.test(n.agent!.log()), 10_000);
      assert.doesNotMatch(n.agent!.log(), /initializing|joining/, n.agent!.log());
    }
    assert.equal((await swarmState(n1)).Cluster?.ID, before1.Cluster?.ID);
    assert.match(state(n1)!.stacks!.hello!, /^deployed \(0 created, 0 updated, 2 unchanged\)$/);
    assert.equal(((await n1.docker.getService("hello_hello").inspect()) as { Version: { Index: number } }).Version.Index, helloVersion);
    assert.equal((await swarmState(n2)).NodeID, before2.NodeID);
  });

  test("a worker that reboots (its Docker and agent stopped, /run emptied) with its link down at first is back as the same node", async (t) => {
    const id = (await swarmState(n2)).NodeID;
    const t0 = Date.now();
    await stopAgent(n2);
    await killHostDockerd(n2);
    rmSync(join(n2.root, "run"), { recursive: true, force: true });
    // As a host whose network comes up late: the agent must wait, not force the node out.
    await run("ip", ["-n", HUB, "link", "set", n2.cable, "down"]);
    await startHostDockerd(n2);
    startAgent(n2);
    const waiting = await until("n2's agent to report it is reconnecting", () => state(n2)?.message?.includes("reconnecting") && state(n2), 60_000);
    t.diagnostic(`n2 rebooted, link down, after ${Date.now() - t0} ms: ${waiting.message}`);
    await run("ip", ["-n", HUB, "link", "set", n2.cable, "up"]);
    const plugged = Date.now();
    const s = await member(n2, "", 90_000);
    t.diagnostic(`n2 back in ${Date.now() - plugged} ms after its link came back`);
    assert.doesNotMatch(n2.agent!.log(), /joining|leaving a join/, n2.agent!.log());
    assert.equal(s.nodeId, id);
    await until("the manager to see n2 ready again", async () => ((await n1.docker.getNode(id).inspect()) as { Status: { State: string } }).Status.State === "ready");
  });

  test("ros agent status reports the node, its role and the managers", async () => {
    const r = await ros(n3, "agent", "status", "-o", "json");
    assert.equal(r.code, 0, r.err);
    const { swarm, agent } = JSON.parse(r.out) as { swarm: { state: string; role: string; nodeId: string; managers: string[] }; agent: AgentState };
    assert.equal(swarm.state, "active");
    assert.equal(swarm.role, "manager");
    assert.deepEqual(swarm.managers, [`${n1.addr}:2377`, `${n3.addr}:2377`]);
    assert.equal(agent.nodeId, swarm.nodeId);
  });

  test("ros agent leave: a worker leaves, a manager is demoted and leaves, the last manager only with -f", async () => {
    const left2 = await ros(n2, "agent", "leave");
    assert.equal(left2.code, 0, left2.err);
    assert.equal((await swarmState(n2)).LocalNodeState, "inactive");
    // The agent started again (as after a crash) stays out: the leave holds until the next boot.
    await stopAgent(n2);
    startAgent(n2);
    const out = await until("n2's agent to report it left", () => state(n2)?.phase === "left" && state(n2));
    assert.match(out.message ?? "", /ros agent leave/);
    await sleep(1000);
    assert.equal((await swarmState(n2)).LocalNodeState, "inactive");

    const left3 = await ros(n3, "agent", "leave");
    assert.equal(left3.code, 0, left3.err);
    assert.equal((await swarmState(n3)).LocalNodeState, "inactive");
    const managers = ((await n1.docker.listNodes()) as { Spec: { Role: string }; Status: { Addr: string; State: string } }[]).filter((x) => x.Spec.Role === "manager").map((x) => x.Status.Addr);
    assert.deepEqual(managers, [n1.addr]);

    const refused = await ros(n1, "agent", "leave");
    assert.equal(refused.code, 1);
    assert.match(refused.err, /last manager.*-f/);
    assert.equal((await swarmState(n1)).LocalNodeState, "active");
    const forced = await ros(n1, "agent", "leave", "-f");
    assert.equal(forced.code, 0, forced.err);
    assert.equal((await swarmState(n1)).LocalNodeState, "inactive");
  });
});
