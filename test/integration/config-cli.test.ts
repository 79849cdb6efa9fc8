// `ros config …` as a user runs it: the real bundle (dist/ros.mjs) in child processes, against a
// temporary ROS_ROOT tree, so every layer (image defaults, cloud-config.yml, the kernel command line)
// is a file the test writes, and every change lands where the host would keep it.
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { parse } from "yaml";
import { REPO } from "../../build/cache.ts";
import { privateBundle } from "./private-bundle.ts";

const EXAMPLES = join(REPO, "../shared/examples");
const noExamples = existsSync(join(EXAMPLES, "bad-typo.yml")) ? false : `${EXAMPLES} is not on this machine`;

const scratch = mkdtempSync(join(tmpdir(), "corral-config-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ROS = await privateBundle(scratch);

let roots = 0;
/** A fresh, empty host tree. */
function newRoot(): string {
  const root = join(scratch, `root-${++roots}`);
  mkdirSync(root);
  return root;
}

const cloudConfig = (root: string) => join(root, "var/lib/rancher/conf/cloud-config.yml");
const readCC = (root: string) => readFileSync(cloudConfig(root), "utf8");

function write(file: string, text: string | Buffer): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function ros(root: string, args: string[], input?: string | Buffer): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [ROS, ...args], {
    env: { ...process.env, ROS_ROOT: root },
    input: input ?? "",
    encoding: "utf8",
    timeout: 60_000,
  });
}

/** Runs `ros` and insists on exit 0 (stderr in the message when not). */
function ok(root: string, args: string[], input?: string | Buffer): SpawnSyncReturns<string> {
  const r = ros(root, args, input);
  assert.equal(r.status, 0, `ros ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r;
}

/** Runs `ros` and insists it is refused: exit 1, a message on stderr, cloud-config.yml untouched. */
function refused(root: string, args: string[], input?: string | Buffer): SpawnSyncReturns<string> {
  const before = existsSync(cloudConfig(root)) ? readCC(root) : undefined;
  const r = ros(root, args, input);
  assert.equal(r.status, 1, `ros ${args.join(" ")} should exit 1; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.notEqual(r.stderr.trim(), "", "a refusal says why on stderr");
  assert.equal(existsSync(cloudConfig(root)) ? readCC(root) : undefined, before, "cloud-config.yml changed");
  return r;
}

describe("ros config set", () => {
  test("writes cloud-config.yml under ROS_ROOT", () => {
    const root = newRoot();
    const r = ok(root, ["config", "set", "hostname", "a"]);
    assert.equal(r.stdout, "");
    assert.deepEqual(parse(readCC(root)), { hostname: "a" });
    // The config can hold secrets: only root reads it.
    assert.equal(statSync(cloudConfig(root)).mode & 0o777, 0o600);
    assert.equal(ok(root, ["config", "get", "hostname"]).stdout, "a\n");
  });

  test("reads VALUE as YAML: numbers, lists, booleans", () => {
    const root = newRoot();
    ok(root, ["config", "set", "rancher.network.interfaces.eth0.mtu", "1400"]);
    ok(root, ["config", "set", "rancher.network.dns.nameservers", "[8.8.8.8, 1.1.1.1]"]);
    ok(root, ["config", "set", "rancher.debug", "true"]);
    ok(root, ["config", "set", "rancher.environment.QUOTED", "'1400'"]);
    const c = parse(readCC(root)) as { rancher: Record<string, any> };
    assert.equal(c.rancher.network.interfaces.eth0.mtu, 1400);
    assert.deepEqual(c.rancher.network.dns.nameservers, ["8.8.8.8", "1.1.1.1"]);
    assert.equal(c.rancher.debug, true);
    assert.equal(c.rancher.environment.QUOTED, "1400");
  });

  test("dotted keys: a sysctl name keeps its dots, and later sets keep the earlier ones", () => {
    const root = newRoot();
    ok(root, ["config", "set", "rancher.sysctl.vm.max_map_count", "262144"]);
    ok(root, ["config", "set", "rancher.network.interfaces.eth0.mtu", "1400"]);
    assert.deepEqual(parse(readCC(root)), {
      rancher: { sysctl: { "vm.max_map_count": 262144 }, network: { interfaces: { eth0: { mtu: 1400 } } } },
    });
    assert.equal(ok(root, ["config", "get", "rancher.sysctl.vm.max_map_count"]).stdout, "262144\n");
  });

  test("keeps the user's comments and layout", () => {
    const root = newRoot();
    write(cloudConfig(root), "#cloud-config\n# my web server\nhostname: web # short name\n");
    ok(root, ["config", "set", "rancher.debug", "true"]);
    const text = readCC(root);
    assert.match(text, /^#cloud-config\n# my web server\nhostname: web # short name\n/);
    assert.deepEqual(parse(text), { hostname: "web", rancher: { debug: true } });
  });

  test("an invalid value (a negative MTU) is refused, with the file unchanged", () => {
    const root = newRoot();
    ok(root, ["config", "set", "rancher.network.interfaces.eth0.mtu", "1400"]);
    // -5 is a VALUE, not an option.
    const r = refused(root, ["config", "set", "rancher.network.interfaces.eth0.mtu", "-5"]);
    assert.match(r.stderr, /refused, nothing was changed/);
    assert.match(r.stderr, /rancher\.network\.interfaces\.eth0\.mtu` must be an MTU from 68 to 65535, not -5/);
    assert.doesNotMatch(r.stderr, /until fixed/, "a refused change is not 'ignored until fixed'");
    refused(root, ["config", "set", "rancher.network.interfaces.eth0.mtu", "lots"]);
  });

  test("refused: an unknown key, a bad key, a VALUE that is not YAML", () => {
    const root = newRoot();
    ok(root, ["config", "set", "hostname", "a"]);
    assert.match(refused(root, ["config", "set", "hostnme", "b"]).stderr, /unknown key `hostnme`.*did you mean `hostname`/);
    assert.match(refused(root, ["config", "set", "rancher..debug", "true"]).stderr, /empty part between dots/);
    assert.match(refused(root, ["config", "set", "hostname", "[unclosed"]).stderr, /VALUE is not YAML/);
  });

  test("a cloud-config.yml that does not read is not edited over", () => {
    const root = newRoot();
    write(cloudConfig(root), "hostname: [broken\n");
    const r = refused(root, ["config", "set", "hostname", "a"]);
    assert.match(r.stderr, /cannot be edited until it reads again/);
    assert.match(r.stderr, /cloud-config\.yml:\d+:\d+:/);
  });
});

describe("ros config get", () => {
  const root = newRoot();
  before(() => write(cloudConfig(root), "hostname: h1\nrancher:\n  network:\n    dns:\n      nameservers: [8.8.8.8]\n    interfaces:\n      eth0:\n        mtu: 1400\n"));

  test("a scalar prints bare", () => {
    assert.equal(ok(root, ["config", "get", "hostname"]).stdout, "h1\n");
    assert.equal(ok(root, ["config", "get", "rancher.network.interfaces.eth0.mtu"]).stdout, "1400\n");
  });

  test("a map prints as YAML", () => {
    const r = ok(root, ["config", "get", "rancher.network"]);
    assert.deepEqual(parse(r.stdout), { dns: { nameservers: ["8.8.8.8"] }, interfaces: { eth0: { mtu: 1400 } } });
    assert.match(r.stdout, /^dns:\n/);
  });

  test("-o json", () => {
    assert.deepEqual(JSON.parse(ok(root, ["config", "get", "rancher.network.dns", "-o", "json"]).stdout), { nameservers: ["8.8.8.8"] });
    assert.equal(JSON.parse(ok(root, ["config", "get", "rancher.network.interfaces.eth0.mtu", "-o", "json"]).stdout), 1400);
    assert.equal(JSON.parse(ok(root, ["config", "get", "hostname", "--output", "json"]).stdout), "h1");
    assert.notEqual(ros(root, ["config", "get", "hostname", "-o", "xml"]).status, 0);
  });

  test("a key that is not set prints nothing and exits 0", () => {
    for (const k of ["rancher.debug", "no.such.key", "rancher.network.interfaces.eth9"]) {
      const r = ok(root, ["config", "get", k]);
      assert.equal(r.stdout, "", k);
      assert.equal(r.stderr, "", k);
    }
  });

  test("an empty tree reads as an empty config", () => {
    const r = ok(newRoot(), ["config", "get", "hostname"]);
    assert.equal(r.stdout, "");
  });

  test("errors in the config are noted on stderr, and the valid rest still reads", () => {
    const bad = newRoot();
    write(cloudConfig(bad), "hostname: still-here\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n");
    const r = ok(bad, ["config", "get", "hostname"]);
    assert.equal(r.stdout, "still-here\n");
    assert.match(r.stderr, /the config has 1 error\(s\)/);
  });
});

describe("the kernel command line layer", () => {
  test("rancher.* and cc.* arguments from ROS_ROOT/proc/cmdline win over the files", () => {
    const root = newRoot();
    ok(root, ["config", "set", "hostname", "from-file"]);
    write(join(root, "proc/cmdline"), "BOOT_IMAGE=/vmlinuz quiet rancher.debug=true cc.hostname=fromcmdline console=ttyS0\n");
    assert.equal(ok(root, ["config", "get", "hostname"]).stdout, "fromcmdline\n");
    assert.equal(ok(root, ["config", "get", "rancher.debug"]).stdout, "true\n");
    assert.equal(JSON.parse(ok(root, ["config", "get", "rancher.debug", "-o", "json"]).stdout), true);
    // export shows the user's files; --full the merged whole.
    assert.deepEqual(parse(ok(root, ["config", "export"]).stdout), { hostname: "from-file" });
    assert.deepEqual(parse(ok(root, ["config", "export", "--full"]).stdout), { hostname: "fromcmdline", rancher: { debug: true } });
    // The command line is not written into the user's file.
    assert.deepEqual(parse(readCC(root)), { hostname: "from-file" });
  });
});

describe("ros config export", () => {
  const root = newRoot();
  before(() => {
    ok(root, ["config", "set", "hostname", "exp"]);
    ok(root, ["config", "set", "rancher.docker.ca_key", "-----BEGIN PRIVATE KEY----- SECRET"]);
    ok(root, ["config", "set", "rancher.docker.ca_cert", "PUBLIC-CERT"]);
    ok(root, ["config", "set", "rancher.environment.DB_PASSWORD", "hunter2"]);
    ok(root, ["config", "set", "rancher.environment.DB_HOST", "db.local"]);
    write(join(root, "usr/share/ros/os-config.yml"), "# image defaults\nrancher:\n  network:\n    dns:\n      nameservers: [9.9.9.9]\n  environment:\n    FROM_IMAGE: yes-it-is\n");
  });

  test("masks secrets", () => {
    const r = ok(root, ["config", "export"]);
    assert.doesNotMatch(r.stdout, /SECRET|hunter2/);
    assert.deepEqual(parse(r.stdout), {
      hostname: "exp",
      rancher: { docker: { ca_key: "********", ca_cert: "PUBLIC-CERT" }, environment: { DB_PASSWORD: "********", DB_HOST: "db.local" } },
    });
  });

  test("--private shows them", () => {
    const c = parse(ok(root, ["config", "export", "--private"]).stdout) as { rancher: Record<string, any> };
    assert.equal(c.rancher.docker.ca_key, "-----BEGIN PRIVATE KEY----- SECRET");
    assert.equal(c.rancher.environment.DB_PASSWORD, "hunter2");
  });

  test("--full includes the image's os-config.yml layer; plain export does not", () => {
    const full = parse(ok(root, ["config", "export", "--full"]).stdout) as { rancher: Record<string, any> };
    assert.deepEqual(full.rancher.network.dns.nameservers, ["9.9.9.9"]);
    // Maps merge key by key across the layers.
    assert.deepEqual(full.rancher.environment, { FROM_IMAGE: "yes-it-is", DB_PASSWORD: "********", DB_HOST: "db.local" });
    assert.equal(full.rancher.docker.ca_key, "********");
    const user = parse(ok(root, ["config", "export"]).stdout) as { rancher: Record<string, any> };
    assert.equal(user.rancher.network, undefined);
    assert.equal(user.rancher.environment.FROM_IMAGE, undefined);
    // get reads the merged config, image defaults included.
    assert.equal(ok(root, ["config", "get", "rancher.network.dns.nameservers", "-o", "json"]).stdout.replace(/\s/g, ""), '["9.9.9.9"]');
  });

  test("--json", () => {
    assert.equal((JSON.parse(ok(root, ["config", "export", "--json"]).stdout) as { hostname: string }).hostname, "exp");
  });

  test("-o FILE writes the file (owner-only) and prints nothing", () => {
    const out = join(scratch, "export-out", "exported.yml");
    const r = ok(root, ["config", "export", "-o", out]);
    assert.equal(r.stdout, "");
    assert.equal(readFileSync(out, "utf8"), ok(root, ["config", "export"]).stdout);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const priv = join(scratch, "export-out", "private.yml");
    ok(root, ["config", "export", "--private", "--output", priv]);
    assert.match(readFileSync(priv, "utf8"), /hunter2/);
  });
});

describe("ros config merge", () => {
  const base = "#cloud-config\n# kept\nhostname: m1\nrancher:\n  debug: true\n  network:\n    dns:\n      nameservers: [8.8.8.8]\n";

  test("from stdin: deep-merges maps, replaces lists and scalars", () => {
    const root = newRoot();
    write(cloudConfig(root), base);
    const r = ok(root, ["config", "merge"], "rancher:\n  network:\n    dns:\n      nameservers: [1.1.1.1, 9.9.9.9]\n    interfaces:\n      eth0:\n        mtu: 1400\n  environment:\n    A: b\n");
    assert.equal(r.stdout, "");
    const text = readCC(root);
    assert.match(text, /^#cloud-config\n# kept\n/);
    assert.deepEqual(parse(text), {
      hostname: "m1",
      rancher: { debug: true, network: { dns: { nameservers: ["1.1.1.1", "9.9.9.9"] }, interfaces: { eth0: { mtu: 1400 } } }, environment: { A: "b" } },
    });
  });

  test("-i FILE", () => {
    const root = newRoot();
    write(cloudConfig(root), base);
    const input = write(join(root, "in.yml"), "#cloud-config\nhostname: m2\nrancher:\n  sysctl:\n    vm.max_map_count: 262144\n");
    ok(root, ["config", "merge", "-i", input]);
    assert.deepEqual(parse(readCC(root)), { hostname: "m2", rancher: { debug: true, network: { dns: { nameservers: ["8.8.8.8"] } }, sysctl: { "vm.max_map_count": 262144 } } });
  });

  test("empty maps and empty documents change nothing", () => {
    const root = newRoot();
    write(cloudConfig(root), base);
    ok(root, ["config", "merge"], "rancher: {}\n");
    ok(root, ["config", "merge"], "rancher:\n  network: {}\n");
    ok(root, ["config", "merge"], "#cloud-config\n");
    ok(root, ["config", "merge"], "");
    assert.equal(readCC(root), base);
    // Nor do they create the file.
    const empty = newRoot();
    ok(empty, ["config", "merge"], "#cloud-config\n");
    assert.equal(existsSync(cloudConfig(empty)), false);
  });

  test("input with errors is refused whole, with FILE:LINE:COL on stderr", () => {
    const root = newRoot();
    write(cloudConfig(root), base);
    const bad = write(join(root, "bad.yml"), "hostname: partly-good\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n");
    let r = refused(root, ["config", "merge", "-i", bad]);
    assert.match(r.stderr, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:6:14: \`rancher\\.network\\.interfaces\\.eth0\\.mtu\` must be an MTU`, "m"));
    assert.match(r.stderr, /has errors; nothing was merged/);
    r = refused(root, ["config", "merge"], "hostnme: x\n");
    assert.match(r.stderr, /^stdin:1:1: unknown key `hostnme`/m);
    r = refused(root, ["config", "merge"], "rancher: [unclosed\n");
    assert.match(r.stderr, /^stdin:\d+:\d+: /m);
    r = refused(root, ["config", "merge", "-i", join(root, "missing.yml")]);
    assert.match(r.stderr, /missing\.yml: ENOENT/);
  });
});

describe("ros config validate", () => {
  const root = newRoot();

  test("bad-typo.yml: every error at its place, exit 1", { skip: noExamples }, () => {
    const file = join(EXAMPLES, "bad-typo.yml");
    const r = ros(root, ["config", "validate", "-i", file]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.ok(lines[0]!.startsWith(`${file}:2:1: unknown key \`hostnme\` (did you mean \`hostname\`?`), lines[0]);
    assert.match(r.stderr, /bad-typo\.yml:3:22: `ssh_authorized_keys` must be a list/);
    assert.match(r.stderr, /bad-typo\.yml:8:15: `rancher\.network\.interfaces\.eth0\.dhcp` must be true or false/);
    assert.match(r.stderr, /bad-typo\.yml:9:14: `rancher\.network\.interfaces\.eth0\.mtu` must be an MTU/);
    for (const l of lines) assert.match(l.slice(file.length), /^:\d+:\d+: /, l);
  });

  test("basic.yml is clean: exit 0, nothing printed", { skip: noExamples }, () => {
    const r = ok(root, ["config", "validate", "-i", join(EXAMPLES, "basic.yml")]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "");
  });

  test("every example but bad-typo.yml validates", { skip: noExamples }, () => {
    for (const f of ["network-static-bond.yml", "services.yml", "swarm-worker.yml"]) {
      const file = join(EXAMPLES, f);
      if (!existsSync(file)) continue;
      const r = ros(root, ["config", "validate", "-i", file]);
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    }
  });

  test("warnings only: exit 0, the warning on stderr", () => {
    const r = ok(root, ["config", "validate"], "#cloud-config\npackages: [x]\n");
    assert.match(r.stderr, /^stdin:2:1: warning: `packages` is ignored on Corral/);
    assert.doesNotMatch(r.stderr, /^stdin:\d+:\d+: (?!warning)/m);
  });

  test("stdin with an error: exit 1", () => {
    const r = ros(root, ["config", "validate"], "rancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^stdin:5:14: /);
  });

  test("gzip'd cloud-config", () => {
    const good = write(join(root, "good.yml.gz"), gzipSync("#cloud-config\nhostname: zipped\n"));
    const rg = ok(root, ["config", "validate", "-i", good]);
    assert.equal(rg.stderr, "");
    const bad = write(join(root, "bad.yml.gz"), gzipSync("#cloud-config\nhostnme: zipped\n"));
    const rb = ros(root, ["config", "validate", "-i", bad]);
    assert.equal(rb.status, 1);
    assert.match(rb.stderr, /bad\.yml\.gz:2:1: unknown key `hostnme`/);
  });

  test("MIME multipart user data: each cloud-config part checked on its own", () => {
    const part = (name: string, type: string, body: string) =>
      [`--BOUNDARY`, `Content-Type: ${type}; charset="us-ascii"`, "MIME-Version: 1.0", "Content-Transfer-Encoding: 7bit", `Content-Disposition: attachment; filename="${name}"`, "", body].join("\n");
    const mime = (...parts: string[]) => ['Content-Type: multipart/mixed; boundary="BOUNDARY"', "MIME-Version: 1.0", "", ...parts, "--BOUNDARY--", ""].join("\n");
    const good = write(join(root, "good.mime"), mime(part("base.yml", "text/cloud-config", "#cloud-config\nhostname: web\n"), part("run.sh", "text/x-shellscript", "#!/bin/sh\necho hi\n")));
    assert.equal(ok(root, ["config", "validate", "-i", good]).stderr, "");
    const bad = write(join(root, "bad.mime"), mime(part("base.yml", "text/cloud-config", "#cloud-config\nhostname: web\n"), part("net.yml", "text/cloud-config", "#cloud-config\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n")));
    const r = ros(root, ["config", "validate", "-i", bad]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.mime#part2\(net\.yml\):6:14: `rancher\.network\.interfaces\.eth0\.mtu` must be an MTU/);
    // The same from stdin.
    const s = ros(root, ["config", "validate"], readFileSync(bad));
    assert.equal(s.status, 1);
    assert.match(s.stderr, /^stdin#part2\(net\.yml\):6:14: /m);
  });

  test("hostile input under a 64 MiB heap: each a positioned error in bounded time, and the other files still read", () => {
    const level = (i: number) => `l${i}: &l${i} [${Array.from({ length: 9 }, () => (i === 0 ? '"lol"' : `*l${i - 1}`)).join(", ")}]`;
    const hostile: [string, string | Buffer, RegExp][] = [
      ["alias-bomb.yml", `${Array.from({ length: 9 }, (_, i) => level(i)).join("\n")}\n`, /:1:1: the YAML expands too much/],
      ["ten-mb.yml", `#cloud-config\n# ${"x".repeat(10 * 1024 * 1024)}\n`, /:1:1: the file is 10\.0 MiB, over the 2 MiB limit/],
      // Past what the CLI reads at all: refused unread, still at a position.
      ["twenty-mb.yml", `#cloud-config\n# ${"x".repeat(20 * 1024 * 1024)}\n`, /:1:1: \S+ is \d+ bytes, more than the 16 MiB Corral reads/],
      ["binary.yml", Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => (i * 7919) & 0xff)), /:1:1: the file holds binary data/],
      ["deep-flow.yml", `a: ${"[".repeat(100_000)}\n`, /:1:\d+: lists and maps are nested more than 64 levels deep/],
      ["deep-block.yml", Array.from({ length: 200 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n") + " x\n", /:\d+:\d+: maps and lists are nested more than 64 levels deep/],
    ];
    const capped = (r: string, args: string[]) =>
      spawnSync(process.execPath, ["--max-old-space-size=64", ROS, ...args], { env: { ...process.env, ROS_ROOT: r }, input: "", encoding: "utf8", timeout: 30_000 });
    for (const [name, content, want] of hostile) {
      const r = newRoot();
      const file = write(join(r, name), content);
      const t0 = Date.now();
      const v = capped(r, ["config", "validate", "-i", file]);
      assert.equal(v.status, 1, `${name}: exit ${v.status} ${v.signal ?? ""} ${v.stderr.slice(0, 500)}`);
      assert.match(v.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${want.source}`, "m"), name);
      assert.ok(Date.now() - t0 < 10_000, `${name}: validate took ${Date.now() - t0} ms`);
      // The same file as a layer of the host's config: reported, skipped, and the other layers read.
      write(join(r, "var/lib/rancher/conf/cloud-config.d/boot.yml"), content);
      write(cloudConfig(r), "hostname: still-here\n");
      const g = capped(r, ["config", "get", "hostname"]);
      assert.equal(g.status, 0, `${name}: get exited ${g.status} ${g.signal ?? ""} ${g.stderr.slice(0, 500)}`);
      assert.equal(g.stdout, "still-here\n", name);
      assert.match(g.stderr, /the config has \d+ error\(s\)/, name);
    }
  });

  test("a file that is not there: exit 1 with its name", () => {
    const r = ros(root, ["config", "validate", "-i", join(root, "nope.yml")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nope\.yml: ENOENT/);
  });
});

describe("help", () => {
  const root = newRoot();
  const subcommands: Record<string, RegExp[]> = {
    get: [/Usage: ros config get \[options\] <key>/, /-o, --output <format>/, /"yaml", "json"/],
    set: [/Usage: ros config set \[options\] <key> <value>/, /read as YAML/],
    merge: [/Usage: ros config merge \[options\]/, /-i, --input <file>/],
    export: [/Usage: ros config export \[options\]/, /--private/, /--full/, /-o, --output <file>/, /--json/],
    validate: [/Usage: ros config validate \[options\]/, /-i, --input <file>/, /FILE:LINE:COL/],
  };

  test("ros config --help lists every subcommand", () => {
    const r = ok(root, ["config", "--help"]);
    for (const sub of Object.keys(subcommands)) assert.match(r.stdout, new RegExp(`^\\s+${sub}\\b`, "m"), sub);
  });

  for (const [sub, want] of Object.entries(subcommands)) {
    test(`ros config ${sub} --help`, () => {
      const r = ok(root, ["config", sub, "--help"]);
      for (const re of want) assert.match(r.stdout.replace(/\n\s+/g, " "), re);
      // Help touches nothing.
      assert.equal(existsSync(join(root, "var")), false);
    });
  }

  test("the c alias and `ros help config`", () => {
    assert.match(ok(root, ["c", "get", "--help"]).stdout, /Usage: ros config get/);
    assert.match(ok(root, ["help", "config"]).stdout, /Usage: ros config\|c/);
  });

  test("a missing argument is an error with usage help", () => {
    const r = ros(root, ["config", "set", "hostname"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /missing required argument 'value'/);
  });
});
