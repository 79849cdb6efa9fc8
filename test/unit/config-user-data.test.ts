// What the boot keeps of a datasource's answer (cloud-config/user-data.ts), on a temporary
// ROS_ROOT: one cloud-config kept as written, several merged, the script, the metadata, and user
// data that cannot be read leaving the previous boot.yml in force.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, beforeEach, test } from "node:test";
import { parse } from "yaml";

const root = mkdtempSync(join(tmpdir(), "corral-user-data-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { applyUserData } = await import("../../cloud-config/user-data.ts");
const { formatDiagnostic } = await import("../../cloud-config/diagnostics.ts");
assert.ok(paths.bootConfig.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.bootConfig}`);

after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true, force: true });
});

const SOURCE = "nocloud:/dev/vdb:user-data";
const found = (userData?: string | Buffer) => ({
  source: SOURCE,
  metadata: { instanceId: "i-1", hostname: "meta-host" },
  ...(userData === undefined ? {} : { userData: Buffer.from(userData) }),
});

test("one cloud-config is kept as written, so later errors point at the user's own lines", async () => {
  const text = "#cloud-config\n# mine\nhostname: web-01\nhostnme: typo\n";
  const a = await applyUserData(found(text));
  assert.deepEqual(a.wrote, ["metadata", "boot.yml"]);
  assert.equal(readFileSync(paths.bootConfig, "utf8"), text);
  assert.equal(statSync(paths.bootConfig).mode & 0o777, 0o600);
  assert.deepEqual(a.diagnostics.map(formatDiagnostic), [`${SOURCE}:4:1: unknown key \`hostnme\` (did you mean \`hostname\`? Until fixed, it is ignored)`]);
  assert.deepEqual(JSON.parse(readFileSync(paths.metadata, "utf8")), { instanceId: "i-1", hostname: "meta-host" });
});

test("gzip'd user data is decoded before it is kept", async () => {
  const a = await applyUserData(found(gzipSync("#cloud-config\nhostname: zipped\n")));
  assert.deepEqual(a.wrote, ["metadata", "boot.yml"]);
  assert.equal(readFileSync(paths.bootConfig, "utf8"), "#cloud-config\nhostname: zipped\n");
});

test("several cloud-config parts are merged in order into one boot.yml", async () => {
  const mime = [
    'Content-Type: multipart/mixed; boundary="B"',
    "MIME-Version: 1.0",
    "",
    "--B",
    "Content-Type: text/cloud-config",
    "",
    "#cloud-config\nhostname: first\nrancher:\n  sysctl:\n    a.b: 1",
    "--B",
    "Content-Type: text/cloud-config",
    "",
    "#cloud-config\nhostname: second\nrancher:\n  sysctl:\n    c.d: 2",
    "--B--",
    "",
  ].join("\n");
  const a = await applyUserData(found(mime));
  assert.deepEqual(a.wrote, ["metadata", "boot.yml"]);
  const kept = readFileSync(paths.bootConfig, "utf8");
  assert.match(kept, /^#cloud-config\n# Merged from /);
  assert.deepEqual(parse(kept), { hostname: "second", rancher: { sysctl: { "a.b": 1, "c.d": 2 } } });
});

test("a script is kept as the cloud-config script; a second one is reported, not kept", async () => {
  const mime = [
    'Content-Type: multipart/mixed; boundary="B"',
    "",
    "--B",
    "Content-Type: text/x-shellscript",
    "",
    "#!/bin/sh\necho one",
    "--B",
    "Content-Type: text/x-shellscript",
    "",
    "#!/bin/sh\necho two",
    "--B--",
    "",
  ].join("\n");
  const a = await applyUserData(found(mime));
  assert.deepEqual(a.wrote, ["metadata", "script"]);
  assert.equal(readFileSync(paths.cloudConfigScript, "utf8"), "#!/bin/sh\necho one");
  assert.equal(statSync(paths.cloudConfigScript).mode & 0o777, 0o700);
  assert.equal(a.diagnostics.length, 1);
  assert.match(formatDiagnostic(a.diagnostics[0]!), /: warning: only the first user-data script is kept/);
});

test("user data that is not YAML leaves the previous boot.yml in force, and says so", async () => {
  await applyUserData(found("#cloud-config\nhostname: good\n"));
  const a = await applyUserData(found("#cloud-config\nhostname: [\n"));
  assert.deepEqual(a.wrote, ["metadata"]);
  assert.equal(readFileSync(paths.bootConfig, "utf8"), "#cloud-config\nhostname: good\n");
  assert.match(formatDiagnostic(a.diagnostics.at(-1)!), /^nocloud:\/dev\/vdb:user-data:1:1: no part of the user data could be read as a cloud-config \(the previous boot\.yml stays in force\)$/);
});

test("a datasource with metadata only keeps the metadata and touches nothing else", async () => {
  const a = await applyUserData(found());
  assert.deepEqual(a, { wrote: ["metadata"], diagnostics: [] });
  assert.equal(existsSync(paths.bootConfig), false);
  assert.equal(existsSync(paths.cloudConfigScript), false);
});
