// Secrets (passwords, tokens, private keys) never reach what is shown or logged: `ros config export`
// in every form, the errors `ros config validate` prints, the boot's config log, cloud-init's log
// when a password cannot be set, and the host API's answers and request log, even when the secret
// is the value that is wrong. `--private` (and the
// API's private=true) shows them, so the masking is not hiding everything.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { captureLog } from "../fixtures/capture-log.ts";
import { privateBundle } from "../integration/private-bundle.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-faults-secrets-"));
const root = join(scratch, "root");
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { loadBootConfig } = await import("../../os/init/config.ts");
const { Api } = await import("../../os/api/server.ts");
const { MASK } = await import("../../cloud-config/secrets.ts");
const { applyInConsole } = await import("../../system-services/cloud-init/console.ts");
const ROS = await privateBundle(scratch);
after(() => rmSync(scratch, { recursive: true, force: true }));

const PEM = (name: string) => `-----BEGIN OPENSSH PRIVATE KEY-----\\n${name}\\n-----END OPENSSH PRIVATE KEY-----\\n`;
/** Each secret, by where the config holds it. */
const SECRETS = {
  hashed: "$6$rounds=4096$HASHED-s3cr3t",
  plain: "PLAIN-PW-s3cr3t",
  agent: "AGENT-TOKEN-s3cr3t",
  swarm: "SWMTKN-1-SWARM-s3cr3t",
  pem: "PEM-BODY-s3cr3t",
  hostKey: "HOSTKEY-s3cr3t",
  dockerKey: "DOCKER-KEY-s3cr3t",
  env: "ENV-PW-s3cr3t",
  serviceEnv: "SVC-ENV-s3cr3t",
};
const GOOD = `#cloud-config
hostname: secret-host
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicKeyIsNoSecret ops@example
users:
  - name: bob
    hashed_passwd: "${SECRETS.hashed}"
    plain_text_passwd: ${SECRETS.plain}
write_files:
  - path: /home/bob/.ssh/id_ed25519
    permissions: "0600"
    content: "${PEM(SECRETS.pem)}"
rancher:
  agent:
    token: ${SECRETS.agent}
    swarm:
      role: worker
      join: ["10.0.0.10:2377"]
      token: ${SECRETS.swarm}
  ssh:
    keys:
      ssh_host_ed25519_key: "${PEM(SECRETS.hostKey)}"
  docker:
    server_key: "${PEM(SECRETS.dockerKey)}"
  environment:
    DB_PASSWORD: ${SECRETS.env}
  services:
    db:
      image: local/db:1
      environment: ["ROOT_PASSWORD=${SECRETS.serviceEnv}"]
`;
/** Secrets that are the wrong value (numbers), beside an error that is no secret. */
const WRONG = { passwd: "7312480551", token: "5550199234", hostKey: "8086420317" };
const BAD_VALUES = `users:
  - name: eve
    passwd: ${WRONG.passwd}
rancher:
  agent:
    token: ${WRONG.token}
  ssh:
    keys:
      ssh_host_rsa_key: ${WRONG.hostKey}
  ssh_port: 22
`;
/** A secret's own line does not read as YAML. */
const BROKEN = { swarm: "SWMTKN-1-BROKEN-s3cr3t", passwd: "hunter2-s3cr3t" };
const BAD_SYNTAX = `rancher:\n  agent:\n    swarm:\n      token: ] ${BROKEN.swarm}\nusers:\n  - passwd: |x ${BROKEN.passwd}\n`;
const ALL = [...Object.values(SECRETS), ...Object.values(WRONG), ...Object.values(BROKEN)];

function assertNoSecret(text: string, where: string): void {
  for (const s of ALL) assert.ok(!text.includes(s), `${where} shows the secret ${s}:\n${text.slice(0, 3000)}`);
}

function put(file: string, text: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

const ros = (...args: string[]) => spawnSync(process.execPath, [ROS, ...args], { env: { ...process.env, ROS_ROOT: root }, encoding: "utf8" });

describe("ros config export", () => {
  test("masks every secret, in YAML, JSON, --full and -o FILE; --private shows them", () => {
    put(paths.cloudConfig, GOOD);
    for (const args of [[], ["--json"], ["--full"]]) {
      const r = ros("config", "export", ...args);
      assert.equal(r.status, 0, r.stderr);
      assertNoSecret(r.stdout + r.stderr, `ros config export ${args.join(" ")}`);
      assert.ok(r.stdout.split(MASK).length - 1 >= Object.keys(SECRETS).length, `not every secret is masked:\n${r.stdout}`);
      assert.match(r.stdout, /secret-host/);
      assert.match(r.stdout, /PublicKeyIsNoSecret/);
    }
    const file = join(scratch, "export.yml");
    assert.equal(ros("config", "export", "-o", file).status, 0);
    assertNoSecret(readFileSync(file, "utf8"), "ros config export -o FILE");
    const priv = ros("config", "export", "--private");
    assert.equal(priv.status, 0, priv.stderr);
    for (const s of Object.values(SECRETS)) assert.ok(priv.stdout.includes(s), `--private does not show ${s}`);
  });
});

describe("errors next to secrets", () => {
  test("ros config validate names the wrong secret values' places and kinds, never the values", () => {
    for (const [name, text, lines] of [["bad-values.yml", BAD_VALUES, [3, 6, 9, 10]], ["bad-syntax.yml", BAD_SYNTAX, [4, 6]]] as const) {
      const file = put(join(scratch, name), text);
      const r = ros("config", "validate", "-i", file);
      assert.equal(r.status, 1, r.stderr);
      assertNoSecret(r.stdout + r.stderr, `ros config validate ${name}`);
      // Each error is still there, at its line.
      for (const line of lines) assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}:\\d+: `, "m"), r.stderr);
    }
  });

  test("the boot's config log says what is wrong with a bad secret and never quotes one", async () => {
    put(paths.osConfig, "rancher:\n  cloud_init:\n    datasources: []\n");
    put(paths.bootConfig, GOOD);
    put(join(paths.cloudConfigD, "values.yml"), BAD_VALUES);
    put(paths.cloudConfig, BAD_SYNTAX);
    const logged = (await captureLog(loadBootConfig)).logged.join("\n");
    assertNoSecret(logged, "the boot log");
    assert.match(logged, /values\.yml:3:\d+: `users\[0\]\.passwd` must be a string, not a number \(not shown: it is a secret\)/);
    assert.match(logged, /cloud-config\.yml:4:\d+: /);
  });
});

describe("cloud-init", () => {
  test("a password hash usermod refuses is not quoted in the stage's log or report", async () => {
    // The console image's /etc, on the tree: the real useradd and usermod work on it (--prefix).
    put(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    put(join(root, "etc/group"), "root:x:0:\n");
    put(join(root, "etc/shadow"), "root:*:1::::::\n");
    put(join(root, "etc/gshadow"), "root:*::\n");
    // A colon cannot stand in /etc/shadow's password field: usermod fails on it.
    const hash = `$6$salt:${SECRETS.hashed}`;
    const { result: actions, logged: lines } = await captureLog(() => applyInConsole({ users: [{ name: "leaky", hashed_passwd: hash }] }, "init", { defaultUser: "rancher" }));
    const logged = lines.join("\n");
    const failed = actions.filter((a) => !a.ok);
    assert.deepEqual(failed.map((a) => a.what), ["user leaky"], JSON.stringify(actions));
    assert.match(failed[0]!.error!, /usermod .*-p \*{8} leaky failed/);
    assertNoSecret(logged, "the cloud-init log");
    assert.match(logged, /user leaky: usermod/);
    assertNoSecret(readFileSync(paths.cloudInitReport, "utf8"), "the cloud-init report");
  });
});

describe("the host API", () => {
  test("answers and request log: masked unless private=true, and a refused change does not echo its secret", async () => {
    put(paths.cloudConfig, GOOD);
    const logged: string[] = [];
    const api = new Api({ log: (l) => logged.push(l), apply: async () => [] });
    await api.listenUnix(paths.corralSocket);
    const call = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ socketPath: paths.corralSocket, method, path, headers: { "content-type": "application/json" } }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on("error", reject);
        req.end(body);
      });
    try {
      const masked = await call("GET", "/config");
      assert.equal(masked.status, 200);
      assertNoSecret(masked.text, "GET /config");
      const one = await call("GET", "/config?key=rancher.agent.swarm.token");
      assert.equal(JSON.parse(one.text).value, MASK);
      const refused = await call("PATCH", "/config", JSON.stringify({ config: { rancher: { agent: { token: Number(WRONG.token) } }, users: [{ name: "x", passwd: Number(WRONG.passwd) }] } }));
      assert.equal(refused.status, 422, refused.text);
      assertNoSecret(refused.text, "PATCH /config refused");
      assert.match(refused.text, /not a number \(not shown: it is a secret\)/);
      const checked = await call("POST", "/config/validate", BAD_VALUES + BAD_SYNTAX.replace(/^rancher:\n/, ""));
      assert.equal(checked.status, 200);
      assertNoSecret(checked.text, "POST /config/validate");
      const changed = await call("PATCH", "/config", JSON.stringify({ config: { rancher: { agent: { token: "NEW-TOKEN-s3cr3t" } } } }));
      assert.equal(changed.status, 200, changed.text);
      const priv = await call("GET", "/config?private=true");
      for (const s of ["NEW-TOKEN-s3cr3t", SECRETS.swarm, SECRETS.pem]) assert.ok(priv.text.includes(s), `private=true does not show ${s}`);
    } finally {
      await api.close();
    }
    assert.ok(logged.length >= 6, logged.join("\n"));
    assertNoSecret(logged.join("\n"), "the API's request log");
    assert.ok(!logged.join("\n").includes("NEW-TOKEN-s3cr3t"), logged.join("\n"));
  });
});
