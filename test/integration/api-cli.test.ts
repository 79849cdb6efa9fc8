// `ros api` against a real host API: requests on the Unix socket and over mutual TLS, an error
// status failing the command, and the shell's WebSocket driven from a pipe, with its exit code.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { REPO } from "../../build/cache.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-api-cli-"));
const root = join(scratch, "root");
process.env.ROS_ROOT = root;
const { Api } = await import("../../os/api/server.ts");
const { paths } = await import("../../os/paths.ts");
const { tlsGen } = await import("../../os/api/tls.ts");

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
write(paths.osConfig, "rancher:\n  services: {}\n");
write(paths.cloudConfig, "hostname: cli-host\n");

const tls = join(scratch, "tls");
const stranger = join(scratch, "stranger");
tlsGen({ dir: tls, hosts: ["localhost"], clientName: "cli-test" });
tlsGen({ dir: stranger, hosts: ["localhost"], clientName: "intruder" });
const logged: string[] = [];
const api = new Api({ log: (l) => logged.push(l), shell: async () => ["/bin/sh", []], apply: async () => [] });
let port = 0;

before(async () => {
  mkdirSync(paths.varRun, { recursive: true });
  await api.listenUnix(paths.corralSocket);
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const free = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  port = ((await api.listenTls(`127.0.0.1:${free}`, tls)).address() as AddressInfo).port;
});
after(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

function ros(args: string[], input = "", env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("node", ["--import", "tsx", join(REPO, "os/cli/main.ts"), "api", ...args], { cwd: REPO, env: { ...process.env, ROS_ROOT: root, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

test("request: the answer's body on stdout; a body from a file; an error status exits 1 with the answer on stderr", async () => {
  const v = await ros(["request", "/os/version"]);
  assert.equal(v.code, 0, v.stderr);
  assert.ok((JSON.parse(v.stdout) as { version: string }).version);
  assert.equal((JSON.parse((await ros(["request", "/config?key=hostname"])).stdout) as { value: string }).value, "cli-host");
  const bad = join(scratch, "bad.yml");
  writeFileSync(bad, "hostnme: x\n");
  const checked = await ros(["request", "-X", "POST", "-d", `@${bad}`, "/config/validate"]);
  assert.equal(checked.code, 0, checked.stderr);
  assert.match(checked.stdout, /1:1: unknown key `hostnme` \(did you mean `hostname`\?/);
  const missing = await ros(["request", "/no/such/endpoint"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ros api: GET \/no\/such\/endpoint: 404 Not Found\n[^]*no endpoint \/no\/such\/endpoint/);
  assert.equal(missing.stdout, "");
});

test("request over TLS with the client certificate from ros tls gen; another CA's is refused", async () => {
  const ok = await ros(["request", "--url", `https://localhost:${port}`, "--tls-dir", tls, "/os/version"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(logged.some((l) => l.startsWith("tls:cli-test@127.0.0.1 GET /os/version 200")), logged.join("\n"));
  const refused = await ros(["request", "--url", `https://localhost:${port}`, "--tls-dir", stranger, "/os/version"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot reach the API at https:\/\/localhost:\d+\/: .*(certificate|self.signed|ECONNRESET|hang up)/i);
  const plain = await ros(["request", "--url", `http://localhost:${port}`, "/os/version"]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /--url must be https:\/\/HOST:PORT/);
});

test("shell: commands from a pipe run on the host and the command exits with the shell's code", async () => {
  const r = await ros(["shell"], "echo cli-$((6*7))\nexit 3\n");
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /cli-42/);
  const bad = await ros(["shell", "-u", "Not A User"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /refused \(400\): .*not a user name/);
});

test("no API on this host: the error says where it looked and what to check", async () => {
  const r = await ros(["request", "/os/version"], "", { ROS_ROOT: join(scratch, "empty") });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the API at .*corral\.sock: .*is the agent service running\?/);
});

test("a path is followed through init's root, absolute links included (the console reaching the host's /var/run)", async () => {
  const { throughInit } = await import("../../os/cli/api-actions.ts");
  const { symlinkSync } = await import("node:fs");
  const host = join(scratch, "host-root");
  mkdirSync(join(host, "run"), { recursive: true });
  mkdirSync(join(host, "var"));
  symlinkSync("/run", join(host, "var/run"));
  symlinkSync("../run", join(host, "var/relative"));
  assert.equal(throughInit("/var/run/corral.sock", host), `${host}/run/corral.sock`);
  assert.equal(throughInit("/var/relative/corral.sock", host), `${host}/run/corral.sock`);
  assert.equal(throughInit("/var/missing/corral.sock", host), `${host}/var/missing/corral.sock`);
  symlinkSync("/loop", join(host, "loop"));
  assert.equal(throughInit("/loop/x", host).startsWith(host), true, "a link loop ends");
});
