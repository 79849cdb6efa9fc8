// chrony.conf from the ntp key: sources with iburst, Debian's pool when none is named, the boot
// step, the drift file and socket where the service keeps them, and entries that would inject a
// directive of their own left out with a warning naming them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chronyConf, DEFAULT_POOL } from "../../system-services/ntp/chrony-conf.ts";
import { validateText } from "../../cloud-config/validate.ts";

const at = { driftFile: "/var/lib/chrony/chrony.drift", commandSocket: "/run/chrony/chronyd.sock", pidFile: "/run/chrony/chronyd.pid" };
const directives = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

test("servers, pools, peers and allow become directives; sources poll quickly at start", () => {
  const { text, warnings } = chronyConf({ servers: ["10.0.0.1", "ntp.example.com"], pools: ["pool.example.org"], peers: ["peer1.example.com"], allow: ["10.0.0.0/8", "fd00::/8"] }, at);
  assert.deepEqual(warnings, []);
  assert.deepEqual(directives(text), [
    "server 10.0.0.1 iburst",
    "server ntp.example.com iburst",
    "pool pool.example.org iburst",
    "peer peer1.example.com",
    "allow 10.0.0.0/8",
    "allow fd00::/8",
    "makestep 1.0 3",
    "rtcsync",
    "driftfile /var/lib/chrony/chrony.drift",
    "bindcmdaddress /run/chrony/chronyd.sock",
    "pidfile /run/chrony/chronyd.pid",
  ]);
});

test("no ntp key, or one naming no server or pool, uses Debian's pool", () => {
  for (const ntp of [undefined, {}, { enabled: true, ntp_client: "chrony" as const }, { peers: ["10.1.1.1"] }]) {
    const lines = directives(chronyConf(ntp, at).text);
    assert.deepEqual(lines.filter((l) => /^(server|pool) /.test(l)), [`pool ${DEFAULT_POOL} iburst`], JSON.stringify(ntp));
  }
  assert.equal(DEFAULT_POOL, "2.debian.pool.ntp.org");
});

test("an entry with spaces or a newline is left out with a warning naming its key, never a directive", () => {
  const { text, warnings } = chronyConf({ servers: ["good.example.com", "evil.example.com\nallow all", "two words"], allow: ["all", "10.0.0.0/8 deny"] }, at);
  assert.deepEqual(directives(text).filter((l) => /^(server|pool|allow) /.test(l)), ["server good.example.com iburst", "allow all"]);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /^ntp\.servers\[1\]: "evil\.example\.com\\nallow all" is not a host name or address; it is left out/);
  assert.match(warnings[1]!, /^ntp\.servers\[2\]/);
  assert.match(warnings[2]!, /^ntp\.allow\[1\]: .* is not an address or network/);
});

test("when every server is bad, Debian's pool stands in and the warning says so", () => {
  const { text, warnings } = chronyConf({ servers: ["bad host"] }, at);
  assert.ok(directives(text).includes(`pool ${DEFAULT_POOL} iburst`));
  assert.match(warnings.at(-1)!, /no valid server or pool is left; using 2\.debian\.pool\.ntp\.org/);
});

test("a cloud-init ntp block validates and renders as written", () => {
  const yaml = "#cloud-config\nntp:\n  enabled: true\n  ntp_client: chrony\n  servers: [time1.example.com]\n  pools: [0.int.pool.ntp.org, 1.int.pool.ntp.org]\n";
  const v = validateText(Buffer.from(yaml), "user-data");
  assert.deepEqual(v.diagnostics, []);
  const lines = directives(chronyConf(v.config!.ntp, at).text);
  assert.deepEqual(lines.slice(0, 3), ["server time1.example.com iburst", "pool 0.int.pool.ntp.org iburst", "pool 1.int.pool.ntp.org iburst"]);
});
