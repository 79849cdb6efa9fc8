import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseUserData } from "../../cloud-config/userdata.ts";

test("a cloud-config with hostname, keys and autologin", () => {
  const ud = parseUserData("#cloud-config\nhostname: web-01\nssh_authorized_keys:\n  - ssh-ed25519 AAAA one\n  - ssh-rsa BBBB two\nrancher:\n  autologin: [ttyS0]\n", "u.yml");
  assert.equal(ud.kind, "cloud-config");
  assert.deepEqual(ud.errors, []);
  assert.deepEqual(ud.config, { hostname: "web-01", ssh_authorized_keys: ["ssh-ed25519 AAAA one", "ssh-rsa BBBB two"], autologin: ["ttyS0"] });
});

test("bad YAML: the error names file, line and column, and the config is empty", () => {
  const ud = parseUserData("#cloud-config\nhostname: a\nssh_authorized_keys:\n  - key\n bad: [\n", "/dev/vda:/user-data");
  assert.equal(ud.kind, "cloud-config");
  assert.equal(ud.ignored, true);
  assert.equal(ud.errors.length > 0, true);
  assert.match(ud.errors[0]!, /^\/dev\/vda:\/user-data:\d+:\d+: .+\(fix the YAML; this file was ignored\)$/);
  assert.deepEqual(ud.config, { ssh_authorized_keys: [], autologin: [] });
});

test("wrong types are reported at their line and the rest is kept", () => {
  const ud = parseUserData("#cloud-config\nhostname: not a host!\nssh_authorized_keys:\n  - ok-key\n  - {a: 1}\n", "u.yml");
  assert.equal(ud.ignored, false);
  assert.deepEqual(ud.config.ssh_authorized_keys, ["ok-key"]);
  assert.equal(ud.config.hostname, undefined);
  assert.deepEqual(ud.errors, [
    "u.yml:2:11: hostname must be letters, digits, '-' and '.', like \"web-01\" (ignored)",
    "u.yml:5:5: each ssh_authorized_keys entry must be a string (entry ignored)",
  ]);
});

test("a single key as a string is accepted", () => {
  assert.deepEqual(parseUserData("#cloud-config\nssh_authorized_keys: ssh-ed25519 AAAA k\n", "u").config.ssh_authorized_keys, ["ssh-ed25519 AAAA k"]);
});

test("not a cloud-config: scripts, empty data and other text", () => {
  assert.equal(parseUserData("#!/bin/sh\necho hi\n", "u").kind, "script");
  assert.equal(parseUserData("  \n", "u").kind, "empty");
  const other = parseUserData("hostname: x\n", "u");
  assert.equal(other.kind, "unsupported");
  assert.equal(other.ignored, true);
  assert.match(other.errors[0]!, /^u:1:1: .*#cloud-config/);
});

test("a top level that is not a map is an error, not a crash", () => {
  const ud = parseUserData("#cloud-config\n- a\n- b\n", "u");
  assert.match(ud.errors[0]!, /^u:2:1: a cloud-config must be a map/);
});

test("the shared example cloud-config reads", () => {
  const file = new URL("../../../shared/examples/basic.yml", import.meta.url);
  const ud = parseUserData(readFileSync(file, "utf8"), file.pathname);
  assert.deepEqual(ud.errors, []);
  assert.equal(ud.config.hostname, "corral-01");
  assert.equal(ud.config.ssh_authorized_keys.length, 1);
});
