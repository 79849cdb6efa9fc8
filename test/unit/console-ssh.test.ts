// The console's sshd config as rendered from rancher.ssh, and how rancher.ssh.keys is read. The real
// sshd runs against these in test/integration/console-ssh.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfiguredKeys } from "../../system-services/console/host-keys.ts";
import { configuredListen, DEFAULT_LISTEN, renderSshdConfig } from "../../system-services/console/sshd-config.ts";

/** sshd keyword -> its values, in file order (comments and blank lines dropped). */
function keywords(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [k, ...v] = line.trim().split(/\s+/);
    m.set(k!, [...(m.get(k!) ?? []), v.join(" ")]);
  }
  return m;
}

describe("configuredListen", () => {
  test("no rancher.ssh: port 22 on every address", () => {
    assert.deepEqual(configuredListen({}), { port: 22 });
    assert.deepEqual(DEFAULT_LISTEN, { port: 22 });
  });
  test("port and listen_address come from rancher.ssh", () => {
    assert.deepEqual(configuredListen({ rancher: { ssh: { port: 2222, listen_address: "10.0.0.5" } } }), { port: 2222, address: "10.0.0.5" });
    assert.deepEqual(configuredListen({ rancher: { ssh: { listen_address: "fd00::5" } } }), { port: 22, address: "fd00::5" });
  });
});

describe("renderSshdConfig", () => {
  const keys = ["/k/ssh_host_ed25519_key", "/k/configured/ssh_host_rsa_key"];
  const pid = "/run/sshd.pid";

  test("defaults: port 22, no ListenAddress (every address), each host key", () => {
    const k = keywords(renderSshdConfig(DEFAULT_LISTEN, keys, pid));
    assert.deepEqual(k.get("Port"), ["22"]);
    assert.equal(k.has("ListenAddress"), false);
    assert.deepEqual(k.get("HostKey"), keys);
    assert.deepEqual(k.get("PidFile"), [pid], "the console's health check reads sshd's PID file");
  });

  test("the configured port and address", () => {
    const k = keywords(renderSshdConfig({ port: 2200, address: "192.168.1.7" }, keys, pid));
    assert.deepEqual(k.get("Port"), ["2200"]);
    assert.deepEqual(k.get("ListenAddress"), ["192.168.1.7"]);
  });

  test("key-only logins, whatever the listen settings", () => {
    for (const listen of [DEFAULT_LISTEN, { port: 1, address: "::1" }]) {
      const k = keywords(renderSshdConfig(listen, keys, pid));
      assert.deepEqual(k.get("PasswordAuthentication"), ["no"]);
      assert.deepEqual(k.get("KbdInteractiveAuthentication"), ["no"]);
      assert.deepEqual(k.get("PermitRootLogin"), ["no"]);
      assert.deepEqual(k.get("AuthenticationMethods"), ["publickey"]);
    }
  });

  test("each keyword once: sshd takes the first value, so a repeat would be a silent no-op", () => {
    for (const [kw, values] of keywords(renderSshdConfig({ port: 2, address: "10.1.1.1" }, keys, pid))) {
      if (kw !== "HostKey") assert.equal(values.length, 1, kw);
    }
  });
});

describe("parseConfiguredKeys", () => {
  test("RancherOS's names, one entry per type, .pub beside its key", () => {
    const r = parseConfiguredKeys({
      ssh_host_rsa_key: "RSA PEM",
      "ssh_host_rsa_key.pub": "ssh-rsa AAAA",
      ssh_host_ed25519_key: "ED PEM",
      ssh_host_ecdsa_key: "EC PEM",
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.keys, [
      { type: "ed25519", private: "ED PEM" },
      { type: "ecdsa", private: "EC PEM" },
      { type: "rsa", private: "RSA PEM", public: "ssh-rsa AAAA" },
    ]);
  });

  test("an unknown name is an error naming it, with the names that work", () => {
    const r = parseConfiguredKeys({ ssh_host_ed25519: "x", ssh_host_ed25519_key: "ED PEM" });
    assert.deepEqual(r.keys, [{ type: "ed25519", private: "ED PEM" }]);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, /^rancher\.ssh\.keys\.ssh_host_ed25519: not a host key name; ignored \(use ssh_host_ed25519_key/);
  });

  test("DSA keys (RancherOS generated them) are ignored with the reason", () => {
    const r = parseConfiguredKeys({ ssh_host_dsa_key: "x", "ssh_host_dsa_key.pub": "ssh-dss AAAA" });
    assert.deepEqual(r.keys, []);
    assert.equal(r.errors.length, 2);
    for (const e of r.errors) assert.match(e, /^rancher\.ssh\.keys\.ssh_host_dsa_key(\.pub)?: OpenSSH no longer offers DSA host keys/);
  });

  test("a .pub without its private key is an error naming the .pub", () => {
    const r = parseConfiguredKeys({ "ssh_host_ecdsa_key.pub": "ecdsa-sha2-nistp256 AAAA" });
    assert.deepEqual(r.keys, []);
    assert.deepEqual(r.errors.length, 1);
    assert.match(r.errors[0]!, /^rancher\.ssh\.keys\.ssh_host_ecdsa_key\.pub: has no ssh_host_ecdsa_key beside it/);
  });
});
