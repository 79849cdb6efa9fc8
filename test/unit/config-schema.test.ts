// The config schema, key family by key family: what it accepts (and what that reads as), what it
// refuses, and where it says so — the exact line and column of the user's text, a message in the
// schema's own words, and a did-you-mean for a misspelt key. Pure functions only: no files.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { errorsIn, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { cloudConfigSchema, IGNORED, type CloudConfig } from "../../cloud-config/schema/index.ts";
import { unwrap } from "../../cloud-config/schema/walk.ts";
import { getPath, type Tree } from "../../cloud-config/tree.ts";
import { validateText, validateValue } from "../../cloud-config/validate.ts";

const FILE = "t.yml";

/** Validates YAML text; every diagnostic must carry a position inside the text. */
function check(text: string, lastGood?: CloudConfig) {
  const v = validateText(text, FILE, lastGood);
  const lines = text.split("\n").length;
  for (const d of v.diagnostics) {
    assert.equal(d.file, FILE);
    assert.ok(d.line >= 1 && d.line <= lines && d.col >= 1, `position outside the text: ${formatDiagnostic(d)}`);
  }
  return v;
}

const show = (ds: Diagnostic[]) => ds.map(formatDiagnostic).join("\n");

/** The text is valid: no errors, no warnings, and it applies. */
function valid(text: string): CloudConfig {
  const v = check(text);
  assert.deepEqual(v.diagnostics, [], show(v.diagnostics));
  assert.ok(v.config !== undefined);
  return v.config;
}

interface Want {
  at: string;
  /** Fragments the message must hold. */
  says: (string | RegExp)[];
  hint?: string | RegExp;
}

/** Exactly these errors, in order, each at its line:col. Returns what still applies. */
function refused(text: string, want: Want[], lastGood?: CloudConfig): CloudConfig | undefined {
  const v = check(text, lastGood);
  const errors = errorsIn(v.diagnostics);
  assert.equal(errors.length, want.length, `expected ${want.length} errors, got:\n${show(errors)}`);
  errors.forEach((e, i) => {
    const w = want[i]!;
    assert.equal(`${e.line}:${e.col}`, w.at, `error ${i}: ${formatDiagnostic(e)}`);
    for (const s of w.says) {
      if (typeof s === "string") assert.ok(e.message.includes(s), `"${s}" not in: ${formatDiagnostic(e)}`);
      else assert.match(e.message, s, formatDiagnostic(e));
    }
    if (w.hint !== undefined) {
      if (typeof w.hint === "string") assert.ok((e.hint ?? "").includes(w.hint), `hint "${w.hint}" not in: ${formatDiagnostic(e)}`);
      else assert.match(e.hint ?? "", w.hint, formatDiagnostic(e));
    }
    // The schema speaks for itself: zod's default wording never reaches the user.
    assert.doesNotMatch(`${e.message} ${e.hint ?? ""}`, /Invalid input|Invalid string|Too (small|big)|expected \w+, received/, formatDiagnostic(e));
  });
  return v.config;
}

describe("cloud-init keys", () => {
  test("hostname and fqdn", () => {
    const c = valid("hostname: web-01\nfqdn: web-01.example.com\n");
    assert.equal(c.hostname, "web-01");
    assert.equal(c.fqdn, "web-01.example.com");
    const left = refused("hostname: web_01!\nfqdn: -bad.example.com\nruncmd: [date]\n", [
      { at: "1:11", says: ["`hostname` must be a host name", '"web_01!"'], hint: "like web-01" },
      { at: "2:7", says: ["`fqdn` must be a host name"] },
    ]);
    // The rest of the file still applies.
    assert.deepEqual(left, { runcmd: ["date"] });
    refused("hostname: 42\n", [{ at: "1:11", says: ["`hostname` must be a host name, not 42"] }]);
    refused(`hostname: ${"a".repeat(64)}\n`, [{ at: "1:11", says: ["must be a host name"] }]);
  });

  test("ssh_authorized_keys", () => {
    const c = valid("ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3Nz one@host\n  - ssh-rsa AAAAB3Nz two@host\n");
    assert.deepEqual(c.ssh_authorized_keys, ["ssh-ed25519 AAAAC3Nz one@host", "ssh-rsa AAAAB3Nz two@host"]);
    refused("ssh_authorized_keys: ssh-rsa AAAA\n", [{ at: "1:22", says: ["`ssh_authorized_keys` must be a list of public keys"], hint: 'starting with "- "' }]);
    refused("ssh_authorized_keys:\n  - ssh-rsa AAAA\n  - {key: x}\n", [{ at: "3:5", says: ["`ssh_authorized_keys[1]` must be a string, not a map"] }]);
  });

  test("users: every field, as cloud-init writes them", () => {
    const c = valid(`users:
  - default
  - name: alice
    gecos: Alice A.
    groups: [docker, wheel]
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    shell: /bin/bash
    lock_passwd: true
    hashed_passwd: "$6$rounds=4096$salt$hash"
    ssh_authorized_keys: [ssh-ed25519 AAAA alice]
  - name: bob
    groups: docker, wheel
    sudo: false
    lock_passwd: no
    uid: "1001"
  - name: carol
    sudo: ["ALL=(ALL) ALL", "ALL=(root) /bin/ls"]
    uid: 1002
`);
    const users = c.users!;
    assert.equal(users[0], "default");
    assert.deepEqual(users[1], { name: "alice", gecos: "Alice A.", groups: ["docker", "wheel"], sudo: "ALL=(ALL) NOPASSWD:ALL", shell: "/bin/bash", lock_passwd: true, hashed_passwd: "$6$rounds=4096$salt$hash", ssh_authorized_keys: ["ssh-ed25519 AAAA alice"] });
    // YAML 1.1: an unquoted no is false.
    assert.equal((users[2] as { lock_passwd?: boolean }).lock_passwd, false);
    assert.equal((users[2] as { groups?: string }).groups, "docker, wheel");
  });

  test("users: wrong values, each at its place, and the good users still apply", () => {
    const text = `users:
  - name: bob
    sudo: 5
  - name: 1 bad
  - name: carol
    shell: bin/sh
    lock_passwd: "no"
    groups: 7
  - name: dave
    ssh_authorized_keys: key
  - groups: [x]
  - name: erin
`;
    const left = refused(text, [
      { at: "3:11", says: ["`users[0].sudo` must be a sudoers rule, a list of rules, or false, not 5"], hint: "NOPASSWD" },
      { at: "4:11", says: ["`users[1].name` must be a user name"] },
      { at: "6:12", says: ["`users[2].shell` must be an absolute path"], hint: "start it with /" },
      { at: "7:18", says: ["`users[2].lock_passwd` must be true or false, not \"no\""], hint: "without quotes" },
      { at: "8:13", says: ["`users[2].groups` must be a comma-separated string or a list of group names"] },
      { at: "10:26", says: ["`users[3].ssh_authorized_keys` must be a list of public keys"] },
      { at: "11:5", says: ["users[4] needs `name:`"] },
    ]);
    // An item that lost its name cannot stand; every other user does.
    const names = (left?.users ?? []).map((u) => (typeof u === "string" ? u : u.name));
    assert.deepEqual(names, ["bob", "carol", "dave", "erin"]);
  });

  test("write_files: encodings, owner, append, defer, container", () => {
    const c = valid(`write_files:
  - path: /etc/plain
    content: hello
  - path: /etc/b64
    encoding: b64
    content: aGVsbG8=
  - path: /etc/gz
    encoding: gzip
    content: !!binary |
      H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==
  - path: /etc/gzb64
    encoding: gz+b64
    content: H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==
  - path: /etc/owned
    owner: "rancher:docker"
    append: true
    defer: false
    container: console
`);
    const files = c.write_files!;
    assert.equal(files.length, 5);
    // !!binary reads as bytes; it is carried as base64, and gzip marked as gz+b64.
    assert.equal(files[2]!.encoding, "gz+b64");
    assert.equal(files[2]!.content, "H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==");
    assert.deepEqual(files[4], { path: "/etc/owned", owner: "rancher:docker", append: true, defer: false, container: "console" });
    refused("write_files:\n  - path: /x\n    encoding: base32\n", [{ at: "3:15", says: ["`write_files[0].encoding` must be one of b64"] }]);
    refused("write_files:\n  - path: /x\n    owner: root:root:x\n", [{ at: "3:12", says: ['must be "user" or "user:group"'], hint: "root:root" }]);
    refused("write_files:\n  - path: /x\n    append: sure\n", [{ at: "3:13", says: ["`write_files[0].append` must be true or false"] }]);
  });

  test('write_files permissions: "0644", 0644 (YAML 1.1 octal), and "999"', () => {
    const c = valid('write_files:\n  - path: /a\n    permissions: "0644"\n  - path: /b\n    permissions: 0644\n  - path: /c\n    permissions: "0755"\n');
    assert.equal(c.write_files![0]!.permissions, "0644");
    // Unquoted 0644 is octal in YAML 1.1, as cloud-init and RancherOS read it.
    assert.equal(c.write_files![1]!.permissions, 0o644);
    assert.equal(c.write_files![1]!.permissions, 420);
    const left = refused('write_files:\n  - path: /a\n    permissions: "999"\n    content: kept\n', [{ at: "3:18", says: ['`write_files[0].permissions` must be an octal file mode, like "0644", not "999"'], hint: "digits 0-7" }]);
    assert.deepEqual(left?.write_files, [{ path: "/a", content: "kept" }]);
    refused("write_files:\n  - path: /a\n    permissions: 0o17777\n", [{ at: "3:18", says: ["must be an octal file mode"] }]);
  });

  test("write_files: a file without an absolute path is dropped, the other files and keys stay", () => {
    const left = refused("hostname: keep\nwrite_files:\n  - path: relative/x\n    content: a\n  - path: /ok\n", [{ at: "3:11", says: ["`write_files[0].path` must be an absolute path"] }]);
    assert.deepEqual(left, { hostname: "keep", write_files: [{ path: "/ok" }] });
    refused("write_files:\n  - content: x\n", [{ at: "2:5", says: ["write_files[0] needs `path:`"] }]);
    refused("write_files: /etc/x\n", [{ at: "1:14", says: ["`write_files` must be a list of files"], hint: "- path:" }]);
  });

  test("runcmd and bootcmd: shell lines or argv lists", () => {
    const c = valid('runcmd:\n  - echo hi\n  - [sh, -c, "echo there"]\n  - []\nbootcmd:\n  - mkdir -p /opt\n');
    assert.deepEqual(c.runcmd, ["echo hi", ["sh", "-c", "echo there"], []]);
    assert.deepEqual(c.bootcmd, ["mkdir -p /opt"]);
    refused("runcmd: echo hi\n", [{ at: "1:9", says: ["`runcmd` must be a list of commands"] }]);
    refused("runcmd:\n  - 5\n  - [echo, {a: b}]\n", [
      { at: "2:5", says: ["`runcmd[0]` must be a shell command or a list of arguments, not 5"], hint: "echo hi" },
      { at: "3:12", says: ["`runcmd[1][1]` must be a string, not a map"] },
    ]);
    refused("bootcmd: {a: 1}\n", [{ at: "1:10", says: ["`bootcmd` must be a list of commands, not a map"] }]);
  });

  test("mounts", () => {
    const c = valid('mounts:\n  - [ /dev/vdb, /mnt/data, ext4, "defaults,nofail", "0", "2" ]\n  - [ swap, null ]\nmount_default_fields: [None, None, auto, "defaults,nofail", "0", "2"]\n');
    assert.equal(c.mounts!.length, 2);
    refused("mounts:\n  - [a, b, c, d, e, f, g]\n", [{ at: "2:5", says: ["`mounts[0]` must have at most 6 fields"], hint: "device, mountpoint" }]);
    refused("mounts:\n  - /dev/vdb /mnt\n", [{ at: "2:5", says: ["`mounts[0]` must be a list of fields"] }]);
  });

  test("ntp, timezone, resolv_conf, growpart, power_state", () => {
    const c = valid(`ntp:
  enabled: true
  ntp_client: chrony
  servers: [ntp1.example.com]
  pools: [0.pool.ntp.org]
timezone: Europe/Paris
manage_resolv_conf: true
resolv_conf:
  nameservers: [10.0.0.2, "fd00::2"]
  searchdomains: [lab.example]
  domain: lab.example
  options:
    rotate: true
    timeout: 1
growpart:
  mode: auto
  devices: [/]
power_state:
  mode: reboot
  delay: "+5"
  message: bye
  timeout: 30
  condition: true
`);
    assert.equal(c.timezone, "Europe/Paris");
    assert.equal(c.power_state?.mode, "reboot");
    valid("growpart:\n  mode: off\n");
    valid("power_state:\n  mode: poweroff\n  delay: now\n");
    refused(`ntp:
  ntp_client: ntpd
  servers: pool.ntp.org
timezone: "Not A Zone"
resolv_conf:
  nameservers: [1.2.3]
growpart:
  mode: sometimes
power_state:
  mode: explode
  delay: "+x"
`, [
      { at: "2:15", says: ['`ntp.ntp_client` must be "auto" or "chrony", not "ntpd"'], hint: "chrony" },
      { at: "3:12", says: ["`ntp.servers` must be a list"] },
      { at: "4:11", says: ["`timezone` must be a time zone name"], hint: "Europe/Paris" },
      { at: "6:17", says: ["`resolv_conf.nameservers[0]` must be an IP address", '"1.2.3"'] },
      { at: "8:9", says: ['`growpart.mode` must be "auto", "growpart", "off" or false'] },
      { at: "10:9", says: ['`power_state.mode` must be "poweroff", "reboot" or "halt"'] },
      { at: "11:10", says: ['`power_state.delay` must be "now", "+MINUTES" or a number of minutes, not "+x"'], hint: '"+5"' },
    ]);
    refused("power_state:\n  delay: now\n", [{ at: "2:3", says: ["power_state needs `mode:`"], hint: "poweroff" }]);
    refused("ntp: pool.ntp.org\n", [{ at: "1:6", says: ["`ntp` must be a map, not \"pool.ntp.org\""] }]);
  });

  test("keys Corral ignores are warnings, never errors, and do not apply", () => {
    const text = `packages: [nginx]
apt:
  sources: {}
snap:
  commands: [x]
yum_repos:
  epel: {baseurl: "http://x"}
chef:
  server_url: https://chef
puppet:
  install: true
hostname: kept
`;
    const v = check(text);
    assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
    const warned = v.diagnostics.map((d) => [`${d.line}:${d.col}`, d.message, d.severity]);
    assert.deepEqual(warned, [
      ["1:1", "`packages` is ignored on Corral", "warning"],
      ["2:1", "`apt` is ignored on Corral", "warning"],
      ["4:1", "`snap` is ignored on Corral", "warning"],
      ["6:1", "`yum_repos` is ignored on Corral", "warning"],
      ["8:1", "`chef` is ignored on Corral", "warning"],
      ["10:1", "`puppet` is ignored on Corral", "warning"],
    ]);
    for (const d of v.diagnostics) assert.ok((d.hint ?? "").length > 0, `a warning says why: ${formatDiagnostic(d)}`);
    assert.match(formatDiagnostic(v.diagnostics[0]!), /^t\.yml:1:1: warning: `packages` is ignored on Corral \(.*package manager.*\)$/);
    assert.deepEqual(v.config, { hostname: "kept" });
  });

  test("ignored keys inside users, write_files, rancher and ntp warn at their place", () => {
    const v = check("users:\n  - name: a\n    expiredate: '2030-01-01'\n  - snapuser: joe@example.com\nwrite_files:\n  - path: /x\n    source: {uri: http://x}\nrancher:\n  password: x\nntp:\n  config: {}\n");
    assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
    assert.deepEqual(v.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`), [
      "3:5 `users[0].expiredate` is ignored on Corral",
      "4:5 `users[1].snapuser` is ignored on Corral",
      "7:5 `write_files[0].source` is ignored on Corral",
      "9:3 `rancher.password` is ignored on Corral",
      "11:3 `ntp.config` is ignored on Corral",
    ]);
    // A user made only of ignored keys is dropped, not an error for a missing name.
    assert.deepEqual(v.config?.users, [{ name: "a" }]);
  });
});

describe("rancher.network", () => {
  test("interfaces by name, glob and mac=, with every setting", () => {
    const c = valid(`rancher:
  network:
    interfaces:
      eth*:
        dhcp: true
        dhcp_args: "-4 --timeout 10"
      eth1:
        address: 10.0.0.5/24
        gateway: 10.0.0.1
        gateway_ipv6: "fd00::1"
        mtu: 1500
        pre_up: [echo pre]
        post_up: [echo post]
      eth2:
        addresses: [10.1.0.5/24, "fd00::5/64"]
      br0:
        bridge: true
        address: 10.2.0.1/24
      eth3:
        bridge: br0
      bond0:
        bond_opts:
          mode: active-backup
          miimon: 100
          lacp_rate: fast
        vlans: "100,200:storage"
      "mac=52:54:00:12:34:56":
        bond: bond0
      bond0.100:
        vlan: 100
        mtu: 9000
    dns:
      nameservers: [8.8.8.8, "2001:4860:4860::8888"]
      search: [example.com]
      override: true
    http_proxy: http://proxy:3128
    https_proxy: http://proxy:3128
    no_proxy: localhost,10.0.0.0/8
`);
    const ifs = c.rancher!.network!.interfaces!;
    assert.deepEqual(Object.keys(ifs), ["eth*", "eth1", "eth2", "br0", "eth3", "bond0", "mac=52:54:00:12:34:56", "bond0.100"]);
    assert.equal(ifs["eth1"]!.mtu, 1500);
    assert.deepEqual(ifs["bond0"]!.bond_opts, { mode: "active-backup", miimon: 100, lacp_rate: "fast" });
    assert.equal(c.rancher!.network!.no_proxy, "localhost,10.0.0.0/8");
  });

  test("bad addresses, gateways, MTU, MAC keys and VLANs, each at its place", () => {
    const text = `rancher:
  network:
    interfaces:
      eth0:
        address: 10.0.0.300/24
        gateway: 10.0.0.256
        mtu: -5
      eth1:
        addresses: [10.0.0.1/33, "fd00::1/64"]
        gateway_ipv6: "fe80::zz"
        dhcp: "sometimes"
      mac=52:54:00:zz:34:56:
        dhcp: true
      eth2:
        vlans: "5000"
        bond_opts: [mode]
    dns:
      nameservers: [8.8.8.8, not-an-ip]
`;
    const left = refused(text, [
      { at: "5:18", says: ["`rancher.network.interfaces.eth0.address` must be an address with a prefix length", '"10.0.0.300/24"'], hint: "/prefix" },
      { at: "6:18", says: ["`rancher.network.interfaces.eth0.gateway` must be an IP address", '"10.0.0.256"'] },
      { at: "7:14", says: ["`rancher.network.interfaces.eth0.mtu` must be an MTU from 68 to 65535, not -5"] },
      { at: "9:21", says: ["`rancher.network.interfaces.eth1.addresses[0]` must be an address with a prefix length", '"10.0.0.1/33"'] },
      { at: "10:23", says: ["`rancher.network.interfaces.eth1.gateway_ipv6` must be an IP address"] },
      { at: "11:15", says: ["`rancher.network.interfaces.eth1.dhcp` must be true or false"] },
      { at: "12:7", says: ["key `mac=52:54:00:zz:34:56`", "mac=xx:xx:xx:xx:xx:xx"] },
      { at: "15:16", says: ["`rancher.network.interfaces.eth2.vlans` must be VLAN ids from 1 to 4094"] },
      { at: "16:20", says: ["`rancher.network.interfaces.eth2.bond_opts` must be a map of bonding options"] },
      { at: "18:30", says: ["`rancher.network.dns.nameservers[1]` must be an IP address", '"not-an-ip"'] },
    ]);
    // What is left is what was valid; eth0 and eth2 held only mistakes, so they go entirely (an empty
    // eth0 entry would take eth0 from a default `eth*: {dhcp: true}`).
    assert.deepEqual(left?.rancher?.network, { interfaces: { eth1: { addresses: ["fd00::1/64"] } }, dns: { nameservers: ["8.8.8.8"] } });
  });

  test("MTU bounds and an interface name that is not one", () => {
    valid("rancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: 68\n      eth1:\n        mtu: 65535\n");
    refused("rancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: 65536\n      eth1:\n        mtu: 1500.5\n", [
      { at: "5:14", says: ["must be an MTU from 68 to 65535, not 65536"] },
      { at: "7:14", says: ["must be an MTU from 68 to 65535, not 1500.5"] },
    ]);
    refused('rancher:\n  network:\n    interfaces:\n      "eth 0":\n        dhcp: true\n', [{ at: "4:7", says: ["key `eth 0` in `rancher.network.interfaces` must be an interface name"] }]);
    refused("rancher:\n  network:\n    interfaces: [eth0]\n", [{ at: "3:17", says: ["`rancher.network.interfaces` must be a map of interface names to settings"] }]);
  });
});

describe("rancher.docker and rancher.system_docker", () => {
  test("engine, args, tls, storage, logging, registries, bip", () => {
    for (const which of ["docker", "system_docker"] as const) {
      const c = valid(`rancher:
  ${which}:
    engine: docker-24.0
    args: [dockerd, --host=unix:///var/run/docker.sock]
    extra_args: [--debug]
    tls: true
    tls_args: [--tlsverify]
    ca_cert: "-----BEGIN CERTIFICATE-----"
    ca_key: "-----BEGIN PRIVATE KEY-----"
    storage_driver: overlay2
    log_driver: json-file
    log_opts:
      max-size: 25m
      max-file: 2
    registry_mirror: https://mirror.example
    insecure_registry: [registry.lab:5000]
    bip: 172.18.42.1/16
    environment: [HTTP_PROXY=http://p:3128]
`);
      const d = c.rancher![which]!;
      assert.equal(d.storage_driver, "overlay2");
      assert.deepEqual(d.log_opts, { "max-size": "25m", "max-file": 2 });
      assert.equal(d.bip, "172.18.42.1/16");
    }
    valid("rancher:\n  docker:\n    insecure_registry: registry.lab:5000\n");
  });

  test("wrong types and values", () => {
    refused(`rancher:
  docker:
    tls: "yes please"
    args: --debug
    bip: 172.18.42.1
    log_opts:
      max-size: [25m]
    engine: 24
  system_docker:
    storage_driver: {a: b}
`, [
      { at: "3:10", says: ["`rancher.docker.tls` must be true or false"] },
      { at: "4:11", says: ["`rancher.docker.args` must be a list of arguments"] },
      { at: "5:10", says: ["`rancher.docker.bip` must be an address with a prefix length"] },
      { at: "7:17", says: ["`rancher.docker.log_opts.max-size` must be a string, number or boolean, not a list"] },
      { at: "8:13", says: ["`rancher.docker.engine` must be an engine name, not 24"] },
      { at: "10:21", says: ["`rancher.system_docker.storage_driver` must be a string, not a map"] },
    ]);
  });
});

describe("rancher: services, includes, repositories and the rest", () => {
  test("every rancher key family, valid", () => {
    const c = valid(`rancher:
  services:
    web:
      image: local/web:1
      command: ["nginx", "-g", "daemon off;"]
      environment: [A=1, B]
      volumes: ["/srv:/srv:ro"]
      volumes_from: [data]
      net: host
      pid: host
      ipc: host
      privileged: true
      restart: on-failure:3
      labels:
        io.rancher.os.scope: system
        io.rancher.os.after: network, udev
      healthcheck:
        test: ["CMD", "pgrep", "nginx"]
        interval: 30s
        retries: 3
    data:
      image: local/data:1
      environment: {A: "1", B: 2}
      labels: ["io.rancher.os.createonly=true"]
  services_include:
    container-cron: true
    extra: "false"
  repositories:
    core:
      url: https://example.com/os-services
  console: debian
  environment:
    REGISTRY_DOMAIN: example.com
    EMPTY:
  sysctl:
    vm.max_map_count: 262144
    net.ipv4.ip_forward: "1"
  modules: [nbd, wireguard]
  ssh:
    keys:
      ssh_host_ed25519_key: "-----BEGIN OPENSSH PRIVATE KEY-----"
    port: 2222
    listen_address: 0.0.0.0
  state:
    dev: LABEL=RANCHER_STATE
    fstype: auto
    wait: true
  upgrade:
    url: https://example.com/releases.yml
    policy: manual
  cloud_init:
    datasources: [nocloud, configdrive, "url:http://10.0.0.1/user-data"]
  agent:
    swarm:
      role: worker
      join: ["10.0.0.10:2377"]
      token_file: /var/lib/rancher/conf/swarm-token
  debug: true
`);
    const r = c.rancher!;
    assert.equal(r.services!["web"]!.privileged, true);
    assert.equal(r.sysctl!["vm.max_map_count"], 262144);
    assert.equal(r.ssh!.port, 2222);
    assert.equal(r.debug, true);
    assert.deepEqual(r.cloud_init!.datasources, ["nocloud", "configdrive", "url:http://10.0.0.1/user-data"]);
    // A bare `EMPTY:` is "not set".
    assert.deepEqual(r.environment, { REGISTRY_DOMAIN: "example.com" });
  });

  test("wrong rancher values, each at its place", () => {
    refused(`rancher:
  services:
    web:
      image: local/web:1
      privileged: "yes"
      restart: sometimes
      net: bridge network
      healthcheck:
        interval: 5 sec
    noimage:
      command: [x]
  services_include:
    cron: maybe
  repositories:
    core: https://example.com
  console: [debian]
  sysctl:
    vm.max_map_count: [1]
  modules: nbd
  ssh:
    port: 70000
    listen_address: everywhere
  state:
    wait: 1
  upgrade:
    policy: sometimes
  cloud_init:
    datasources: nocloud
  agent:
    swarm:
      role: boss
  debug: "true"
`, [
      { at: "5:19", says: ["`rancher.services.web.privileged` must be true or false"] },
      { at: "6:16", says: ["`rancher.services.web.restart` must be \"no\", \"always\""] },
      { at: "7:12", says: ['`rancher.services.web.net` must be "host", "none" or container:NAME'] },
      { at: "9:19", says: ["`rancher.services.web.healthcheck.interval` must be a duration"], hint: '"30s"' },
      { at: "11:7", says: ["rancher.services.noimage needs `image:`"] },
      { at: "13:11", says: ["`rancher.services_include.cron` must be true or false, not \"maybe\""] },
      { at: "15:11", says: ["`rancher.repositories.core` must be a map"] },
      { at: "16:12", says: ["`rancher.console` must be a console name, not a list"] },
      { at: "18:23", says: ["`rancher.sysctl.vm.max_map_count` must be a string, number or boolean"] },
      { at: "19:12", says: ["`rancher.modules` must be a list of kernel modules"] },
      { at: "21:11", says: ["`rancher.ssh.port` must be a port from 1 to 65535, not 70000"] },
      { at: "22:21", says: ["`rancher.ssh.listen_address` must be an IP address"] },
      { at: "24:11", says: ["`rancher.state.wait` must be true or false, not 1"] },
      { at: "26:13", says: ['`rancher.upgrade.policy` must be "manual", "auto" or "notify"'] },
      { at: "28:18", says: ["`rancher.cloud_init.datasources` must be a list of datasources"] },
      { at: "31:13", says: ['`rancher.agent.swarm.role` must be "manager" or "worker"'] },
      { at: "32:10", says: ["`rancher.debug` must be true or false, not \"true\""], hint: "without quotes" },
    ]);
  });

  test("the host API's listen address and TLS folder", () => {
    valid("rancher:\n  agent:\n    api:\n      listen: 0.0.0.0:7443\n      tls_dir: /var/lib/rancher/conf/tls\n");
    valid("rancher:\n  agent:\n    api:\n      listen: \"[::]:7443\"\n");
    valid("rancher:\n  agent:\n    api:\n      listen: :7443\n");
    refused("rancher:\n  agent:\n    api:\n      listen: 7443\n", [{ at: "4:15", says: ["`rancher.agent.api.listen` must be an address:port"] }]);
    refused("rancher:\n  agent:\n    api:\n      listen: 0.0.0.0:99999\n", [{ at: "4:15", says: ["`rancher.agent.api.listen` must be an address and a port"], hint: "0.0.0.0:7443" }]);
    refused("rancher:\n  agent:\n    api:\n      tls_dir: tls\n", [{ at: "4:16", says: ["`rancher.agent.api.tls_dir` must be an absolute path"] }]);
  });

  test("the tunnel's URL, token and CA file", () => {
    const c = valid("rancher:\n  agent:\n    url: wss://manage.example.com/hosts\n    token: s3cret\n    ca_file: /var/lib/rancher/conf/manage-ca.pem\n");
    assert.equal(c.rancher?.agent?.url, "wss://manage.example.com/hosts");
    for (const url of ["ws://10.0.0.9:8080/tunnel", "https://manage.example.com", "http://[fd00::9]:80/x?site=a"]) valid(`rancher:\n  agent:\n    url: "${url}"\n`);
    refused("rancher:\n  agent:\n    url: manage.example.com\n", [{ at: "3:10", says: ["`rancher.agent.url` must be a ws://, wss://, http:// or https:// URL", '"manage.example.com"'], hint: "wss://manage.example.com/hosts" }]);
    refused("rancher:\n  agent:\n    token: t\n    url: ftp://manage.example.com/\n", [{ at: "4:10", says: ["`rancher.agent.url` must be a ws://"] }]);
    refused("rancher:\n  agent:\n    url: 42\n", [{ at: "3:10", says: ["`rancher.agent.url` must be a URL, not 42"] }]);
    refused("rancher:\n  agent:\n    url: wss://host:s3cret@manage.example.com/\n", [{ at: "3:10", says: ["`rancher.agent.url` must not hold a user or password"], hint: "rancher.agent.token" }]);
    refused("rancher:\n  agent:\n    ca_file: ca.pem\n", [{ at: "3:14", says: ["`rancher.agent.ca_file` must be an absolute path"] }]);
  });

  test("ssh port bounds", () => {
    valid("rancher:\n  ssh:\n    port: 1\n");
    valid("rancher:\n  ssh:\n    port: 65535\n");
    refused("rancher:\n  ssh:\n    port: 0\n", [{ at: "3:11", says: ["must be a port from 1 to 65535, not 0"] }]);
    refused("rancher:\n  ssh:\n    port: \"22\"\n", [{ at: "3:11", says: ['must be a port from 1 to 65535, not "22"'] }]);
  });
});

describe("unknown keys: did you mean", () => {
  test("a misspelt key at any depth names the nearest allowed key", () => {
    refused(`hostnme: typo
rancher:
  netwrk:
    dns: {}
  services:
    web:
      image: x
      privilged: true
  network:
    interfaces:
      eth0:
        adress: 10.0.0.5/24
users:
  - name: a
    shel: /bin/sh
write_files:
  - path: /x
    permisions: "0644"
`, [
      { at: "1:1", says: ["unknown key `hostnme`"], hint: "did you mean `hostname`?" },
      { at: "3:3", says: ["unknown key `netwrk` in `rancher`"], hint: "did you mean `network`?" },
      { at: "8:7", says: ["unknown key `privilged` in `rancher.services.web`"], hint: "did you mean `privileged`?" },
      { at: "12:9", says: ["unknown key `adress` in `rancher.network.interfaces.eth0`"], hint: "did you mean `address`?" },
      { at: "15:5", says: ["unknown key `shel` in `users[0]`"], hint: "did you mean `shell`?" },
      { at: "18:5", says: ["unknown key `permisions` in `write_files[0]`"], hint: "did you mean `permissions`?" },
    ]);
  });

  test("- for _ and case are forgiven in the suggestion; a key far from any gets the allowed list or advice", () => {
    refused("rancher:\n  ssh:\n    listen-address: 0.0.0.0\n", [{ at: "3:5", says: ["unknown key `listen-address` in `rancher.ssh`"], hint: "did you mean `listen_address`?" }]);
    refused("rancher:\n  ssh:\n    zzzzzz: 1\n", [{ at: "3:5", says: ["unknown key `zzzzzz` in `rancher.ssh`"], hint: /allowed here: keys, port, listen_address/ }]);
    refused("zzzzzzzz: 1\n", [{ at: "1:1", says: ["unknown key `zzzzzzzz`"], hint: "check the spelling and the indentation" }]);
  });

  test("formatDiagnostic reads FILE:LINE:COL: message (hint)", () => {
    const [d] = errorsIn(check("hostnme: x\n").diagnostics);
    assert.equal(formatDiagnostic(d!), "t.yml:1:1: unknown key `hostnme` (did you mean `hostname`? Until fixed, it is ignored)");
  });
});

describe("structure", () => {
  test("a document that is not a map, and an empty one", () => {
    refused("- a\n- b\n", [{ at: "1:1", says: ["a cloud-config must be a map of keys, not a list"] }]);
    refused("just text\n", [{ at: "1:1", says: ['a cloud-config must be a map of keys, not "just text"'] }]);
    assert.deepEqual(valid("#cloud-config\n"), {});
    assert.deepEqual(valid(""), {});
  });

  test("a repeated key warns at the second one, the later value applies and is the one checked", () => {
    const v = check("hostname: first\nruncmd: [a]\nhostname: sec_ond!\n");
    assert.deepEqual(v.diagnostics.map((d) => `${d.severity} ${d.line}:${d.col}`), ["warning 3:1", "error 3:11"]);
    assert.match(v.diagnostics[0]!.message, /`hostname` is set again here/);
    // The file still applies (a warning never costs the file).
    assert.deepEqual(check("hostname: first\nhostname: second\n").config, { hostname: "second" });
  });

  test("the last good value stands in for an invalid key", () => {
    const left = refused("hostname: bad_name!\nruncmd: [b]\n", [{ at: "1:11", says: ["`hostname` must be a host name"], hint: "its last good value is used" }], { hostname: "good", runcmd: ["a"] });
    assert.deepEqual(left, { hostname: "good", runcmd: ["b"] });
  });

  test("every key the schema declares: a wrong value is an error at that key, in the schema's words, and the rest still applies", () => {
    // Walk the schema: every object key at every depth (records and lists entered with a sample key/index).
    const paths: (string | number)[][] = [];
    const walk = (s: z.ZodType, path: (string | number)[], depth: number): void => {
      s = unwrap(s);
      if (depth > 8) return;
      if (s instanceof z.ZodObject) {
        for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) {
          paths.push([...path, k]);
          walk(v, [...path, k], depth + 1);
        }
      } else if (s instanceof z.ZodRecord) walk(s._zod.def.valueType as z.ZodType, [...path, "x"], depth + 1);
      else if (s instanceof z.ZodArray) walk(s.element as z.ZodType, [...path, 0], depth + 1);
      else if (s instanceof z.ZodUnion) for (const o of s.options as z.ZodType[]) walk(o, path, depth + 1);
    };
    walk(cloudConfigSchema, [], 0);
    // The value at `path` inside new maps and lists (index 0 of a list is its only item).
    const nest = (path: (string | number)[], leaf: unknown): unknown =>
      path.length === 0 ? structuredClone(leaf) : typeof path[0] === "number" ? [nest(path.slice(1), leaf)] : { [path[0]!]: nest(path.slice(1), leaf) };
    assert.ok(paths.length > 200, `the walk found only ${paths.length} keys`);
    let refusedCount = 0;
    for (const wrong of [{ nested: { deeper: [1] } }, [[{ a: 1 }]], -1.5]) {
      for (const path of paths) {
        // An unrelated key that must survive whatever is wrong elsewhere.
        const [keep, keepValue] = path[0] === "timezone" ? ["hostname", "kept"] : ["timezone", "UTC"];
        const raw: Tree = { [keep]: keepValue, ...(nest(path, wrong) as Tree) };
        const v = validateValue(raw, FILE, () => ({ line: 1, col: 1 }));
        for (const d of v.diagnostics) {
          assert.doesNotMatch(`${d.message} ${d.hint ?? ""}`, /Invalid input|Invalid string|Too (small|big)|expected \w+, received/, `${JSON.stringify(wrong)} at ${path.join(".")}: ${formatDiagnostic(d)}`);
        }
        // Whatever was wrong, the unrelated key still applies.
        assert.equal((v.config as Tree | undefined)?.[keep], keepValue, `${JSON.stringify(wrong)} at ${path.join(".")} cost the whole file:\n${show(v.diagnostics)}`);
        // Never silently dropped: the value either applies as written or an error says why not.
        const applied = JSON.stringify(getPath(v.config, path)) === JSON.stringify(wrong);
        assert.ok(applied || errorsIn(v.diagnostics).length > 0, `${JSON.stringify(wrong)} at ${path.join(".")} vanished without an error`);
        if (!applied) refusedCount++;
      }
    }
    // Most keys refuse these shapes (a few take anything, like the values of users[].groups as a map).
    assert.ok(refusedCount > paths.length * 2, `only ${refusedCount} wrong values were refused`);
  });

  test("the ignored-key table only names keys the schema does not also accept", () => {
    for (const t of IGNORED) {
      for (const k of Object.keys(t.keys)) {
        if (t.at !== "") continue;
        assert.equal(k in cloudConfigSchema.shape, false, `${k} is both ignored and supported`);
      }
    }
  });
});

describe("metadata variables", () => {
  test("$private_ipv4 and ${public_ipv4} are valid in address fields, and kept as written until the merge fills them", () => {
    const c = valid("rancher:\n  network:\n    interfaces:\n      eth0:\n        address: $private_ipv4/24\n        gateway: ${public_ipv4}\n");
    assert.equal(c.rancher?.network?.interfaces?.eth0?.address, "$private_ipv4/24");
  });
  test("a variable where a number belongs is still an error, shown as written", () => {
    refused("rancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: $private_ipv4\n", [{ at: "5:14", says: ["mtu", '"$private_ipv4"'] }]);
  });
});
