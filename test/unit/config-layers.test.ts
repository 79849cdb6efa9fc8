// The config layers on a temporary ROS_ROOT: merge order and how maps and lists merge, the kernel
// command line, last good copies standing in for a bad file or a bad value, $private_ipv4 from the
// instance metadata, secrets masked in what is shown, and `ros config set` edits that keep the
// user's comments and refuse an invalid change without touching the file.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, beforeEach, describe, test } from "node:test";

// os/paths.ts reads ROS_ROOT when first imported: set it, then import everything that loads it.
const root = mkdtempSync(join(tmpdir(), "corral-config-layers-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { loadConfig, loadLayers, readLayerFile, cmdlineLayer, CMDLINE_SOURCE } = await import("../../cloud-config/load.ts");
const { readLastGood } = await import("../../cloud-config/last-good.ts");
const { setValues, ConfigEditError } = await import("../../cloud-config/edit.ts");
const { configFromCmdline, splitCmdline, cmdlineValue } = await import("../../cloud-config/cmdline.ts");
const { deepMerge } = await import("../../cloud-config/merge.ts");
const { maskSecrets, MASK } = await import("../../cloud-config/secrets.ts");
const { substitute } = await import("../../cloud-config/substitute.ts");
const { errorsIn, formatDiagnostic } = await import("../../cloud-config/diagnostics.ts");
const { validateText } = await import("../../cloud-config/validate.ts");
assert.ok(paths.cloudConfig.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.cloudConfig}`);

after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  // Each test starts from an empty root.
  for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true, force: true });
});

function put(file: string, content: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

const show = (ds: { line: number }[]) => (ds as Parameters<typeof formatDiagnostic>[0][]).map(formatDiagnostic).join("\n");

describe("merge order", () => {
  test("os-config < oem < cloud-config.d (alphabetical) < cloud-config.yml < kernel cmdline; maps merge, lists are replaced", () => {
    put(paths.osConfig, "hostname: from-os\nrancher:\n  environment:\n    A: os\n    B: os\n    C: os\n    D: os\n    E: os\n  modules: [os1, os2]\n  ssh:\n    port: 22\n");
    put(paths.oemConfig, "rancher:\n  environment:\n    B: oem\n  modules: [oem]\n");
    // Written in reverse order: the merge goes by name, not by creation.
    put(join(paths.cloudConfigD, "b.yml"), "rancher:\n  environment:\n    C: d-b\n");
    put(join(paths.cloudConfigD, "a.yml"), "rancher:\n  environment:\n    C: d-a\n    D: d-a\n  ssh:\n    listen_address: 0.0.0.0\n");
    put(join(paths.cloudConfigD, "c.yaml"), "ssh_authorized_keys: [ssh-ed25519 AAAA c]\n");
    put(join(paths.cloudConfigD, "z.txt"), "hostname: not-a-layer\n");
    put(paths.cloudConfig, "rancher:\n  environment:\n    D: user\n  modules: [user]\n");
    const { config, diagnostics } = loadConfig({ cmdline: "console=ttyS0 rancher.environment.E=cmdline" });
    assert.deepEqual(diagnostics, [], show(diagnostics));
    assert.equal(config.hostname, "from-os");
    assert.deepEqual(config.rancher?.environment, { A: "os", B: "oem", C: "d-b", D: "user", E: "cmdline" });
    // A later list replaces the earlier one whole.
    assert.deepEqual(config.rancher?.modules, ["user"]);
    // Maps merge key by key at every depth.
    assert.deepEqual(config.rancher?.ssh, { port: 22, listen_address: "0.0.0.0" });
    assert.deepEqual(config.ssh_authorized_keys, ["ssh-ed25519 AAAA c"]);
    const files = loadLayers({ cmdline: "" }).map((l) => l.file);
    assert.deepEqual(files, [paths.osConfig, paths.oemConfig, join(paths.cloudConfigD, "a.yml"), join(paths.cloudConfigD, "b.yml"), join(paths.cloudConfigD, "c.yaml"), paths.cloudConfig, CMDLINE_SOURCE]);
  });

  test("the kernel command line wins over every file, and is read from /proc/cmdline", () => {
    put(paths.osConfig, "hostname: from-os\n");
    put(paths.cloudConfig, "hostname: from-user\n");
    put(paths.procCmdline, "BOOT_IMAGE=/vmlinuz cc.hostname=from-cmdline rancher.debug\n");
    const { config } = loadConfig();
    assert.equal(config.hostname, "from-cmdline");
    assert.equal(config.rancher?.debug, true);
  });

  test("userOnly: only cloud-config.d and cloud-config.yml, no image defaults, no cmdline", () => {
    put(paths.osConfig, "hostname: from-os\nrancher:\n  debug: true\n");
    put(join(paths.cloudConfigD, "boot.yml"), "timezone: UTC\n");
    put(paths.cloudConfig, "hostname: from-user\n");
    put(paths.procCmdline, "cc.fqdn=x.example.com\n");
    assert.deepEqual(loadConfig({ userOnly: true }).config, { timezone: "UTC", hostname: "from-user" });
  });

  test("deepMerge: maps merge, lists and scalars replace, a map replaces a scalar, inputs untouched", () => {
    const base = { a: { b: 1, c: [1, 2], d: { e: 1 } }, s: "x", keep: true };
    const over = { a: { c: [3], d: { f: 2 } }, s: { now: "a map" } };
    const snapshot = structuredClone(base);
    const merged = deepMerge(base, over);
    assert.deepEqual(merged, { a: { b: 1, c: [3], d: { e: 1, f: 2 } }, s: { now: "a map" }, keep: true });
    assert.deepEqual(base, snapshot);
    merged.a.c.push(9);
    assert.deepEqual(over.a.c, [3], "the merge copies what it takes from the later layer");
  });
});

describe("kernel command line", () => {
  test("splitting: spaces separate, double quotes group", () => {
    assert.deepEqual(splitCmdline('ro  console=ttyS0 rancher.environment.G="hello world" "x=a b"  '), ["ro", "console=ttyS0", "rancher.environment.G=hello world", "x=a b"]);
    assert.equal(cmdlineValue("a=1 b=2 a=3", "a"), "3");
    assert.equal(cmdlineValue("ab=1", "a"), undefined);
  });

  test("rancher.a.b=<yaml>, cc.key=<yaml>, quoted values, bare flags, dotted keys", () => {
    const cmdline = [
      "BOOT_IMAGE=/vmlinuz",
      "console=ttyS0",
      "rancher.debug",
      "cc.hostname=from-cmdline",
      'rancher.environment.GREETING="hello world"',
      "rancher.network.dns.nameservers=[8.8.8.8,1.1.1.1]",
      "rancher.sysctl.vm.max_map_count=1",
      "rancher.network.interfaces.bond0.100.mtu=9000",
      "rancher.services.web.labels.io.rancher.os.scope=system",
      "rancher.state.wait=yes",
      "rancher.ssh.port=2222",
      "cc.ssh_authorized_keys=[\"ssh-ed25519 AAAA k\"]",
    ].join(" ");
    const { value, errors } = configFromCmdline(cmdline);
    assert.deepEqual(errors, []);
    assert.deepEqual(value, {
      rancher: {
        debug: true,
        environment: { GREETING: "hello world" },
        network: { dns: { nameservers: ["8.8.8.8", "1.1.1.1"] }, interfaces: { "bond0.100": { mtu: 9000 } } },
        sysctl: { "vm.max_map_count": 1 },
        services: { web: { labels: { "io.rancher.os.scope": "system" } } },
        // YAML 1.1: yes is true.
        state: { wait: true },
        ssh: { port: 2222 },
      },
      hostname: "from-cmdline",
      ssh_authorized_keys: ["ssh-ed25519 AAAA k"],
    });
  });

  test("a bad value on the command line is an error at its column, and the other keys apply", () => {
    const cmdline = "ro rancher.ssh.port=70000 cc.hostname=ok rancher.bad=[ cc.timezone=UTC";
    const layer = cmdlineLayer(cmdline);
    const errors = errorsIn(layer.diagnostics);
    assert.equal(errors.length, 2, show(errors));
    for (const e of errors) assert.equal(e.file, CMDLINE_SOURCE);
    const byCol = new Map(errors.map((e) => [e.col, e.message]));
    assert.match(byCol.get(cmdline.indexOf("rancher.ssh.port") + 1) ?? "", /`rancher.ssh.port` must be a port from 1 to 65535, not 70000/);
    assert.match(byCol.get(cmdline.indexOf("rancher.bad") + 1) ?? "", /rancher\.bad=\[/);
    assert.ok(![...byCol.values()].some((m) => /unknown key/.test(m)), "an unparsable value is reported once, not also as an unknown key");
    assert.deepEqual(layer.config, { hostname: "ok", timezone: "UTC" }, "rancher.ssh held only the bad port: it goes entirely");
  });
});

describe("last good copies", () => {
  test("a file that fails to parse is reported and its last good copy stands in", () => {
    put(paths.cloudConfig, "hostname: good-host\nruncmd: [date]\n");
    assert.equal(loadConfig({ cmdline: "" }).config.hostname, "good-host");
    assert.deepEqual(readLastGood(paths.cloudConfig), { hostname: "good-host", runcmd: ["date"] });

    put(paths.cloudConfig, "hostname: broken-host\nruncmd: [date\n");
    const { config, diagnostics } = loadConfig({ cmdline: "" });
    assert.deepEqual(config, { hostname: "good-host", runcmd: ["date"] });
    const errors = errorsIn(diagnostics);
    assert.ok(errors.length >= 2, show(errors));
    assert.ok(errors.every((e) => e.file === paths.cloudConfig));
    assert.ok(errors.some((e) => e.line >= 2 && !/was not applied/.test(e.message)), `the syntax error is placed: ${show(errors)}`);
    const notApplied = errors.find((e) => /was not applied/.test(e.message));
    assert.ok(notApplied, show(errors));
    assert.match(notApplied.hint ?? "", /its last good copy is used/);
    const layer = readLayerFile(paths.cloudConfig)!;
    assert.equal(layer.usedLastGood, true);
    // The broken file never replaces the last good copy.
    assert.deepEqual(readLastGood(paths.cloudConfig), { hostname: "good-host", runcmd: ["date"] });
  });

  test("a file that never read has no last good copy: reported, and none of it applies", () => {
    put(paths.osConfig, "hostname: from-os\n");
    put(join(paths.cloudConfigD, "boot.yml"), "\u0000\u0001binary");
    const { config, diagnostics } = loadConfig({ cmdline: "" });
    assert.equal(config.hostname, "from-os");
    const notApplied = errorsIn(diagnostics).find((d) => /was not applied/.test(d.message));
    assert.match(notApplied?.hint ?? "", /no last good copy/);
    assert.equal(readLayerFile(join(paths.cloudConfigD, "boot.yml"))!.usedLastGood, false);
  });

  test("one bad value: the file's other keys apply, the bad key takes its last good value", () => {
    put(paths.cloudConfig, "hostname: first\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: 1500\n        dhcp: true\n");
    loadConfig({ cmdline: "" });
    put(paths.cloudConfig, "hostname: second\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n        dhcp: false\n");
    const { config, diagnostics } = loadConfig({ cmdline: "" });
    assert.equal(config.hostname, "second");
    assert.deepEqual(config.rancher?.network?.interfaces?.["eth0"], { mtu: 1500, dhcp: false });
    const errors = errorsIn(diagnostics);
    assert.equal(errors.length, 1, show(errors));
    assert.equal(`${errors[0]!.line}:${errors[0]!.col}`, "6:14");
    assert.match(errors[0]!.hint ?? "", /its last good value is used/);
    // The file with an error is not the new last good copy; once fixed, it is.
    assert.equal(readLastGood(paths.cloudConfig)?.hostname, "first");
    put(paths.cloudConfig, "hostname: third\n");
    assert.equal(loadConfig({ cmdline: "" }).config.hostname, "third");
    assert.deepEqual(readLastGood(paths.cloudConfig), { hostname: "third" });
  });

  test("a bad value with no last good value for it is dropped, saying so", () => {
    put(paths.cloudConfig, "hostname: first\n");
    loadConfig({ cmdline: "" });
    put(paths.cloudConfig, "hostname: first\ntimezone: Not A Zone\n");
    const { config, diagnostics } = loadConfig({ cmdline: "" });
    assert.deepEqual(config, { hostname: "first" });
    assert.match(errorsIn(diagnostics)[0]?.hint ?? "", /it is ignored/);
  });

  test("image defaults (os-config.yml) keep no last good copy", () => {
    put(paths.osConfig, "hostname: from-os\n");
    loadConfig({ cmdline: "" });
    assert.equal(readLastGood(paths.osConfig), undefined);
  });
});

describe("metadata substitution", () => {
  test("$private_ipv4 and ${public_ipv4} come from metadata.json; unknown names and missing values stay", () => {
    put(paths.metadata, JSON.stringify({ privateIpv4: "10.1.2.3", publicIpv4: "203.0.113.7", hostname: "md-host" }));
    put(paths.cloudConfig, [
      "rancher:",
      "  environment:",
      "    ADVERTISE: $private_ipv4:2379",
      "    PUBLIC: http://${public_ipv4}/",
      "    V6: $private_ipv6",
      "    OTHER: $HOME",
      "  docker:",
      "    args: [dockerd, --label=ip=$private_ipv4]",
      "write_files:",
      "  - path: /etc/ip",
      "    content: ip=$private_ipv4 host=$hostname",
      "",
    ].join("\n"));
    const { config, diagnostics } = loadConfig({ cmdline: "" });
    assert.deepEqual(diagnostics, [], show(diagnostics));
    assert.deepEqual(config.rancher?.environment, { ADVERTISE: "10.1.2.3:2379", PUBLIC: "http://203.0.113.7/", V6: "$private_ipv6", OTHER: "$HOME" });
    assert.deepEqual(config.rancher?.docker?.args, ["dockerd", "--label=ip=10.1.2.3"]);
    assert.equal(config.write_files?.[0]?.content, "ip=10.1.2.3 host=md-host");
    // The file itself keeps the variable: substitution happens on the merged config only.
    assert.match(readFileSync(paths.cloudConfig, "utf8"), /\$private_ipv4:2379/);
  });

  test("without metadata (or with unreadable metadata) the variables stay as written", () => {
    put(paths.cloudConfig, "rancher:\n  environment:\n    IP: $private_ipv4\n");
    assert.equal(loadConfig({ cmdline: "" }).config.rancher?.environment?.["IP"], "$private_ipv4");
    put(paths.metadata, "{not json");
    assert.equal(loadConfig({ cmdline: "" }).config.rancher?.environment?.["IP"], "$private_ipv4");
    assert.deepEqual(substitute({ a: ["$instance_id", 5, true, null] }, { instanceId: "i-1" }), { a: ["i-1", 5, true, null] });
  });
});

describe("secrets", () => {
  test("maskSecrets masks private keys, passwords and tokens, not public keys", () => {
    const config = {
      ssh_authorized_keys: ["ssh-ed25519 AAAA public@host"],
      users: [{ name: "a", hashed_passwd: "$6$x", passwd: "p", plain_text_passwd: "q", ssh_authorized_keys: ["ssh-rsa AAAA a"] }],
      write_files: [
        { path: "/etc/ssl/private/web.key", permissions: "0600", content: "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE-WEB-KEY\n-----END EC PRIVATE KEY-----\n" },
        { path: "/etc/ssl/certs/web.crt", content: "-----BEGIN CERTIFICATE-----\nMIIB-CERT\n-----END CERTIFICATE-----\n" },
        { path: "/var/lib/rancher/conf/swarm-token", content: "SWMTKN-1-JOIN-TOKEN\n" },
      ],
      runcmd: [["sh", "-c", "printf '%s' '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl-RUN-KEY' > /root/.ssh/id"], "echo plain"],
      rancher: {
        docker: { ca_cert: "CERT", ca_key: "CA-KEY", server_cert: "SCERT", server_key: "SERVER-KEY", tls: true },
        system_docker: { server_key: "SYS-KEY" },
        ssh: { keys: { ssh_host_ed25519_key: "PRIVATE", "ssh_host_ed25519_key.pub": "ssh-ed25519 AAAA host" }, port: 22 },
        agent: { token: "AGENT-TOKEN", swarm: { token: "SWARM-TOKEN", role: "worker" } },
        upgrade: { public_key: "UPGRADE-PUBLIC-KEY", url: "https://x" },
        environment: { DB_PASSWORD: "pw", API_TOKEN: "t", HOME_DIR: "/home" },
        services: { web: { image: "x", environment: ["MY_SECRET=s", "PLAIN=p"] }, db: { image: "y", environment: { ROOT_PASSWORD: "r", PORT: 5432 } } },
        password: "rancher-password",
      },
    };
    const before = structuredClone(config);
    const masked = maskSecrets(config);
    assert.deepEqual(config, before, "the input is not changed");
    assert.deepEqual(masked.ssh_authorized_keys, ["ssh-ed25519 AAAA public@host"]);
    // A PEM private key or a swarm token is a secret under any key, in maps and lists alike; certificates are not.
    assert.deepEqual(masked.write_files, [
      { path: "/etc/ssl/private/web.key", permissions: "0600", content: MASK },
      { path: "/etc/ssl/certs/web.crt", content: "-----BEGIN CERTIFICATE-----\nMIIB-CERT\n-----END CERTIFICATE-----\n" },
      { path: "/var/lib/rancher/conf/swarm-token", content: MASK },
    ]);
    assert.deepEqual(masked.runcmd, [["sh", "-c", MASK], "echo plain"]);
    assert.deepEqual(masked.users[0], { name: "a", hashed_passwd: MASK, passwd: MASK, plain_text_passwd: MASK, ssh_authorized_keys: ["ssh-rsa AAAA a"] });
    assert.deepEqual(masked.rancher.docker, { ca_cert: "CERT", ca_key: MASK, server_cert: "SCERT", server_key: MASK, tls: true });
    assert.equal(masked.rancher.system_docker.server_key, MASK);
    // Every value under rancher.ssh.keys is masked, whatever its name.
    assert.deepEqual(masked.rancher.ssh, { keys: { ssh_host_ed25519_key: MASK, "ssh_host_ed25519_key.pub": MASK }, port: 22 });
    assert.equal(masked.rancher.agent.token, MASK);
    assert.deepEqual(masked.rancher.agent.swarm, { token: MASK, role: "worker" });
    assert.equal(masked.rancher.upgrade.public_key, "UPGRADE-PUBLIC-KEY");
    assert.deepEqual(masked.rancher.environment, { DB_PASSWORD: MASK, API_TOKEN: MASK, HOME_DIR: "/home" });
    assert.deepEqual(masked.rancher.services.web.environment, [`MY_SECRET=${MASK}`, "PLAIN=p"]);
    assert.deepEqual(masked.rancher.services.db.environment, { ROOT_PASSWORD: MASK, PORT: 5432 });
    assert.equal(masked.rancher.password, MASK);
    // No secret survives anywhere in the masked output.
    const text = JSON.stringify(masked);
    for (const secret of ["WEB-KEY", "RUN-KEY", "CA-KEY", "SERVER-KEY", "SYS-KEY", "PRIVATE", "AGENT-TOKEN", "SWARM-TOKEN", "JOIN-TOKEN", '"pw"', "rancher-password", "$6$x"]) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  });

  test("an error about a secret's value names its kind, never the value (errors reach the boot log)", () => {
    const text = [
      "users:", "  - name: bob", "    passwd: 123456789",
      "rancher:", "  agent:", "    token: 987654321", "    swarm:", "      token: 0x5EC12E7",
      "  ssh:", "    keys:", "      ssh_host_rsa_key: 3133731337",
      "write_files:", "  - path: /k", '    content: "-----BEGIN RSA PRIVATE KEY-----\\nMIIE-PEM\\n-----END RSA PRIVATE KEY-----"', "    permissions: wrong",
      "hostname: 123",
    ].join("\n");
    const v = validateText(text, "secret.yml");
    const said = show(v.diagnostics);
    for (const secret of ["123456789", "987654321", "0x5EC12E7", "99427047", "3133731337", "MIIE-PEM"]) assert.ok(!said.includes(secret), `${secret} quoted: ${said}`);
    assert.match(said, /secret\.yml:3:13: `users\[0\]\.passwd` must be a string, not a number \(not shown: it is a secret\)/);
    assert.match(said, /`rancher\.agent\.swarm\.token` must be a string, not a number \(not shown/);
    assert.match(said, /`rancher\.ssh\.keys\.ssh_host_rsa_key` must be .*, not a number \(not shown/);
    // Values that are no secret are still quoted, so the user sees what was read.
    assert.match(said, /`write_files\[0\]\.permissions` must be .*, not "wrong"/);
    assert.match(said, /`hostname` must be a host name, not 123/);
  });
});

describe("ros config set (setValues)", () => {
  const ORIGINAL = [
    "#cloud-config",
    "# The lab host. Keep this comment.",
    "hostname: lab-01 # inline comment stays",
    "",
    "rancher:",
    "  # network settings",
    "  network:",
    "    interfaces:",
    "      eth0:",
    "        dhcp: true",
    "",
  ].join("\n");

  test("a valid change keeps the comments and the layout, and adds plain maps", () => {
    put(paths.cloudConfig, ORIGINAL);
    const errors = setValues(paths.cloudConfig, [
      [["rancher", "network", "interfaces", "eth0", "mtu"], 9000],
      [["rancher", "ssh", "port"], 2222],
      [["hostname"], "lab-02"],
    ]);
    assert.deepEqual(errors, [], show(errors));
    const text = readFileSync(paths.cloudConfig, "utf8");
    for (const kept of ["#cloud-config", "# The lab host. Keep this comment.", "# inline comment stays", "  # network settings"]) assert.ok(text.includes(kept), `lost "${kept}":\n${text}`);
    assert.doesNotMatch(text, /!!omap/);
    assert.match(text, /hostname: lab-02/);
    const layer = readLayerFile(paths.cloudConfig, false)!;
    assert.deepEqual(layer.diagnostics, []);
    assert.deepEqual(layer.config, { hostname: "lab-02", rancher: { network: { interfaces: { eth0: { dhcp: true, mtu: 9000 } } }, ssh: { port: 2222 } } });
  });

  test("an invalid change is refused with the error, and the file stays byte for byte", () => {
    put(paths.cloudConfig, ORIGINAL);
    const before = readFileSync(paths.cloudConfig);
    const errors = setValues(paths.cloudConfig, [
      [["hostname"], "lab-03"],
      [["rancher", "ssh", "port"], 70000],
    ]);
    assert.equal(errors.length, 1, show(errors));
    assert.match(errors[0]!.message, /`rancher.ssh.port` must be a port from 1 to 65535, not 70000/);
    assert.ok(readFileSync(paths.cloudConfig).equals(before), "the file changed");
    assert.deepEqual(readdirSync(dirname(paths.cloudConfig)).filter((f) => f.includes(".tmp")), [], "a temp file was left behind");
    // An unknown key is refused the same way.
    const typo = setValues(paths.cloudConfig, [[["rancher", "netwrk", "dns", "search"], ["x"]]]);
    assert.match(typo[0]?.hint ?? "", /did you mean `network`\?/);
    assert.ok(readFileSync(paths.cloudConfig).equals(before), "the file changed");
  });

  test("a file that does not read cannot be edited, and is left alone", () => {
    put(paths.cloudConfig, "hostname: [broken\n");
    const before = readFileSync(paths.cloudConfig);
    assert.throws(() => setValues(paths.cloudConfig, [[["hostname"], "x"]]), ConfigEditError);
    assert.ok(readFileSync(paths.cloudConfig).equals(before));
  });

  test("a missing cloud-config.yml is created", () => {
    mkdirSync(dirname(paths.cloudConfig), { recursive: true });
    assert.deepEqual(setValues(paths.cloudConfig, [[["rancher", "sysctl", "vm.max_map_count"], 262144]]), []);
    assert.deepEqual(readLayerFile(paths.cloudConfig, false)?.config, { rancher: { sysctl: { "vm.max_map_count": 262144 } } });
  });
});
