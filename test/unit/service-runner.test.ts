// The service runner's pure parts: labels → Service, the dependency graph, the Docker create body,
// fingerprints, `ros service ps` states, log framing, backoff and start-failure messages.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";
import { validateText } from "../../cloud-config/validate.ts";
import { startFailure } from "../../os/services/docker-errors.ts";
import { serviceEnv } from "../../os/services/environment.ts";
import { fingerprint } from "../../os/services/fingerprint.ts";
import { CycleError, dependencyGraph, withDependencies } from "../../os/services/graph.ts";
import { logFrames, logText } from "../../os/services/log-frames.ts";
import { missingCaps, privilegedBinds, privilegedHostConfig, type HostConfig } from "../../os/services/privileged.ts";
import { labelMap, toService, toServices, type Service } from "../../os/services/service.ts";

// ROS_ROOT is read when os/paths.ts loads: container-spec, status and supervisor (which import it)
// are loaded only after it is set.
const root = mkdtempSync(join(tmpdir(), "corral-svc-root-"));
process.env.ROS_ROOT = root;
const { hostPath, paths } = await import("../../os/paths.ts");
const { containerSpec, nanoseconds, ports } = await import("../../os/services/container-spec.ts");
const { describe: describeStatus, STABLE_MS, CRASH_LOOP_RESTARTS } = await import("../../os/services/status.ts");
const { backoffMs } = await import("../../os/services/supervisor.ts");
assert.ok(paths.confDir.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.confDir}`);

const svc = (name: string, labels: ServiceConfig["labels"], extra: Partial<ServiceConfig> = {}): Service => toService(name, { image: `img/${name}`, labels, ...extra });
const spec = (def: Partial<ServiceConfig>, labels?: ServiceConfig["labels"]) => containerSpec(svc("s", labels, def));
const host = (def: Partial<ServiceConfig>, labels?: ServiceConfig["labels"]) => spec(def, labels).HostConfig!;

describe("labels → Service", () => {
  test("labels given as a list of name=value read like a map; a value may itself hold '='", () => {
    assert.deepEqual(labelMap(["io.rancher.os.scope=user", "note=a=b", "empty="]), { "io.rancher.os.scope": "user", note: "a=b", empty: "" });
    assert.deepEqual(labelMap({ n: 3, b: true }), { n: "3", b: "true" });
    assert.deepEqual(labelMap(undefined), {});
    const s = svc("x", ["io.rancher.os.scope=user", "io.rancher.os.after=a, b", "io.rancher.os.detach=false"]);
    assert.deepEqual([s.scope, s.kind, s.after], ["user", "oneshot", ["a", "b"]]);
  });

  test("scope is system unless it says user", () => {
    assert.equal(svc("a", {}).scope, "system");
    assert.equal(svc("a", { "io.rancher.os.scope": "system" }).scope, "system");
    assert.equal(svc("a", { "io.rancher.os.scope": "user" }).scope, "user");
  });

  test("kind: long-running by default, detach false is a oneshot, createonly wins over detach", () => {
    assert.equal(svc("a", undefined).kind, "long-running");
    assert.equal(svc("a", { "io.rancher.os.detach": "true" }).kind, "long-running");
    assert.equal(svc("a", { "io.rancher.os.detach": "false" }).kind, "oneshot");
    assert.equal(svc("a", { "io.rancher.os.detach": "False" }).kind, "oneshot");
    // YAML booleans reach the labels as booleans.
    assert.equal(svc("a", { "io.rancher.os.detach": false }).kind, "oneshot");
    assert.equal(svc("a", { "io.rancher.os.createonly": true }).kind, "createonly");
    assert.equal(svc("a", { "io.rancher.os.createonly": "true", "io.rancher.os.detach": "false" }).kind, "createonly");
    assert.equal(svc("a", { "io.rancher.os.createonly": "false", "io.rancher.os.detach": "false" }).kind, "oneshot");
  });

  test("after and before are comma lists, spaces and empty items ignored", () => {
    const s = svc("a", { "io.rancher.os.after": " network ,udev,, syslog ", "io.rancher.os.before": "console,  docker" });
    assert.deepEqual(s.after, ["network", "udev", "syslog"]);
    assert.deepEqual(s.before, ["console", "docker"]);
    assert.deepEqual(svc("a", { "io.rancher.os.after": "" }).after, []);
  });

  test("volumes_from, links and depends_on imply after edges, without the mode or alias, once each", () => {
    const s = svc("a", { "io.rancher.os.after": "data" }, { volumes_from: ["data:ro", "other"], links: ["db:database", "cache"], depends_on: ["db", "dns"] });
    assert.deepEqual(s.after, ["data", "other", "db", "cache", "dns"]);
  });

  test("reloadconfig is true only for 'true'", () => {
    assert.equal(svc("a", { "io.rancher.os.reloadconfig": "true" }).reloadconfig, true);
    assert.equal(svc("a", { "io.rancher.os.reloadconfig": "TRUE" }).reloadconfig, true);
    assert.equal(svc("a", { "io.rancher.os.reloadconfig": "yes" }).reloadconfig, false);
    assert.equal(svc("a", {}).reloadconfig, false);
  });

  test("toServices keeps the definitions' order and names", () => {
    assert.deepEqual(toServices({ b: { image: "i" }, a: { image: "j" } }).map((s) => [s.name, s.def.image]), [["b", "i"], ["a", "j"]]);
  });
});

describe("rancher.environment lookups", () => {
  const env = { HTTP_PROXY: "http://p:3128", HTTPS_PROXY: "https://p", NO_PROXY: "localhost", N: 5, F: false, Z: null, "A.B1": "dot", AxB2: "x" };

  test("no environment stays undefined; name=value entries are kept, '=' in the value too", () => {
    assert.equal(serviceEnv(undefined, env), undefined);
    assert.deepEqual(serviceEnv(["A=1", "B=x=y", "C="], env), ["A=1", "B=x=y", "C="]);
  });

  test("a bare name takes its value from rancher.environment, or is left out", () => {
    assert.deepEqual(serviceEnv(["NO_PROXY", "UNSET", "N", "F", "Z"], env), ["NO_PROXY=localhost", "N=5", "F=false", "Z="]);
    // An entry with '=' is never looked up, even when empty.
    assert.deepEqual(serviceEnv(["NO_PROXY="], env), ["NO_PROXY="]);
  });

  test("a glob takes every match, in rancher.environment's order; regex characters are literal", () => {
    assert.deepEqual(serviceEnv(["HTTP*"], env), ["HTTP_PROXY=http://p:3128", "HTTPS_PROXY=https://p"]);
    assert.deepEqual(serviceEnv(["*_PROXY"], env), ["HTTP_PROXY=http://p:3128", "HTTPS_PROXY=https://p", "NO_PROXY=localhost"]);
    assert.deepEqual(serviceEnv(["A.B*"], env), ["A.B1=dot"]);
    assert.deepEqual(serviceEnv(["NOPE*"], env), []);
  });

  test("a map: values are stringified, a null value is looked up (a glob too)", () => {
    assert.deepEqual(serviceEnv({ A: 1, B: true, C: "", NO_PROXY: null, "HTTPS*": null, UNSET: null }, env), ["A=1", "B=true", "C=", "NO_PROXY=localhost", "HTTPS_PROXY=https://p"]);
  });

  test("containerSpec passes rancher.environment to the lookups", () => {
    assert.deepEqual(spec({ environment: ["HTTP_PROXY", "X=1"] }).Env, ["X=1"]);
    assert.deepEqual(containerSpec(svc("s", undefined, { environment: ["HTTP_PROXY", "X=1"] }), env).Env, ["HTTP_PROXY=http://p:3128", "X=1"]);
  });
});

describe("privileged mode", () => {
  const status = (capBnd: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapBnd:\t${capBnd}\nCapAmb:\t0000000000000000\n`;

  test("missingCaps reads the CapBnd line only", () => {
    assert.deepEqual(missingCaps(status("000001ffffffffff")), []);
    assert.deepEqual(missingCaps(status("000001fffeffffff")), ["SYS_RESOURCE"]);
    assert.deepEqual(missingCaps(status("000001ffffdffffe")), ["CHOWN", "SYS_ADMIN"]);
    assert.deepEqual(missingCaps(status("000001FFFEFFFFFF")), ["SYS_RESOURCE"]);
    // Bits beyond the capabilities we know are ignored.
    assert.deepEqual(missingCaps(status("ffffffffffffffff")), []);
    assert.equal(missingCaps(status("0000000000000000")).length, 41);
    assert.deepEqual(missingCaps("Name:\tx\n"), []);
  });

  test("with every capability, privileged is Docker's own privileged mode", () => {
    assert.deepEqual(privilegedHostConfig([]), { Privileged: true });
    assert.deepEqual(privilegedBinds([]), []);
  });

  test("with capabilities missing, it asks for all but those and opens what privileged mode opens", () => {
    const h = privilegedHostConfig(["SYS_RESOURCE", "BPF"]);
    assert.equal(h.Privileged, false);
    assert.deepEqual(h.CapAdd, ["ALL"]);
    assert.deepEqual(h.CapDrop, ["SYS_RESOURCE", "BPF"]);
    assert.deepEqual(h.SecurityOpt, ["seccomp=unconfined", "apparmor=unconfined"]);
    assert.deepEqual([h.MaskedPaths, h.ReadonlyPaths], [[], []]);
    assert.deepEqual(h.DeviceCgroupRules, ["a *:* rwm"]);
    assert.equal(h.CgroupnsMode, "host");
    assert.deepEqual(privilegedBinds(["SYS_RESOURCE"]), ["/dev:/dev", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]);
  });

  test("containerSpec merges privileged mode with the definition's own caps, options, devices and binds", () => {
    const missing = missingCaps(readFileSync("/proc/self/status", "utf8"));
    const h = host({ privileged: true, cap_add: ["NET_ADMIN"], cap_drop: ["NET_RAW"], security_opt: ["label=disable"], devices: ["/dev/fuse"], volumes: ["/dev:/dev"] });
    assert.deepEqual(h.Devices, [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" }]);
    if (missing.length === 0) {
      assert.equal(h.Privileged, true);
      assert.deepEqual([h.CapAdd, h.CapDrop, h.SecurityOpt, h.Binds], [["NET_ADMIN"], ["NET_RAW"], ["label=disable"], ["/dev:/dev"]]);
    } else {
      assert.equal(h.Privileged, false);
      assert.deepEqual(h.CapAdd, ["ALL", "NET_ADMIN"]);
      assert.deepEqual(h.CapDrop, [...missing, "NET_RAW"]);
      assert.deepEqual(h.SecurityOpt, ["seccomp=unconfined", "apparmor=unconfined", "label=disable"]);
      // The definition already binds /dev: it is not bound twice.
      assert.deepEqual(h.Binds, ["/dev:/dev", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]);
    }
  });

  test("an unprivileged service gets no privileged fields", () => {
    const h = host({});
    assert.equal(h.Privileged, undefined);
    assert.deepEqual([h.CapAdd, h.CapDrop, h.SecurityOpt, h.Binds], [[], undefined, undefined, undefined]);
  });
});

describe("cgroup namespace", () => {
  test("cgroup: host or private is Docker's CgroupnsMode; without it, Docker's default", () => {
    const mode = (def: Partial<ServiceConfig>) => (spec(def).HostConfig as HostConfig).CgroupnsMode;
    assert.equal(mode({ cgroup: "host" }), "host");
    assert.equal(mode({ cgroup: "private" }), "private");
    assert.ok(!("CgroupnsMode" in spec({}).HostConfig!));
  });
  test("any other value is an error at its line", () => {
    const v = validateText("rancher:\n  services:\n    s:\n      image: x\n      cgroup: shared\n", "c.yml");
    assert.ok(v.diagnostics.some((d) => d.severity === "error" && d.line === 5 && /must be "host" or "private"/.test(d.message)), JSON.stringify(v.diagnostics));
  });
});

describe("hostPath and volumes", () => {
  test("Corral's state is placed under ROS_ROOT; kernel interfaces and binaries are not", () => {
    for (const p of ["/var", "/var/lib/rancher/conf", "/run/ros", "/home/rancher", "/opt/x", "/usr/share/ros/os-config.yml", "/etc/ssh", "/root/.ssh"]) assert.equal(hostPath(p), join(root, p), p);
    for (const p of ["/dev", "/dev/fuse", "/sys", "/sys/fs/cgroup", "/lib/modules", "/lib/firmware", "/usr/bin/ros", "/usr/share/rosetta", "/variable", "/proc"]) assert.equal(hostPath(p), p, p);
  });

  test("binds are placed by hostPath, keeping container path and mode; named and anonymous volumes stay as they are", () => {
    const s = spec({ volumes: ["/var/lib/rancher:/var/lib/rancher:ro", "/dev:/host/dev", "/lib/modules:/lib/modules:ro", "/sys:/sys", "/var/run/docker.sock:/var/run/docker.sock", "data:/data:rw", "/scratch"] });
    assert.deepEqual(s.HostConfig!.Binds, [
      `${root}/var/lib/rancher:/var/lib/rancher:ro`,
      "/dev:/host/dev",
      "/lib/modules:/lib/modules:ro",
      "/sys:/sys",
      `${root}/var/run/docker.sock:/var/run/docker.sock`,
      "data:/data:rw",
    ]);
    assert.deepEqual(s.Volumes, { "/scratch": {} });
  });

  test("no volumes: no Binds and no Volumes", () => {
    const s = spec({});
    assert.equal(s.HostConfig!.Binds, undefined);
    assert.equal(s.Volumes, undefined);
  });
});

describe("ports", () => {
  test("a container port alone is published on a port Docker picks", () => {
    assert.deepEqual(ports(["80", 443]), { exposed: { "80/tcp": {}, "443/tcp": {} }, bindings: { "80/tcp": [{ HostPort: "" }], "443/tcp": [{ HostPort: "" }] } });
  });

  test("host:container, ip:host:container, ip::container and a protocol", () => {
    const p = ports(["8080:80", "127.0.0.1:8443:443", "127.0.0.1::9000", "53:53/udp"]);
    assert.deepEqual(p.exposed, { "80/tcp": {}, "443/tcp": {}, "9000/tcp": {}, "53/udp": {} });
    assert.deepEqual(p.bindings, {
      "80/tcp": [{ HostPort: "8080" }],
      "443/tcp": [{ HostIp: "127.0.0.1", HostPort: "8443" }],
      "9000/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
      "53/udp": [{ HostPort: "53" }],
    });
  });

  test("the same container port on two host addresses keeps both bindings", () => {
    assert.deepEqual(ports(["127.0.0.1:53:53/udp", "10.0.0.1:53:53/udp"]).bindings, { "53/udp": [{ HostIp: "127.0.0.1", HostPort: "53" }, { HostIp: "10.0.0.1", HostPort: "53" }] });
  });

  test("equal-length ranges map port to port", () => {
    assert.deepEqual(ports(["8000-8002:80-82"]).bindings, { "80/tcp": [{ HostPort: "8000" }], "81/tcp": [{ HostPort: "8001" }], "82/tcp": [{ HostPort: "8002" }] });
    assert.deepEqual(ports(["127.0.0.1:5000-5001:6000-6001/udp"]).bindings, { "6000/udp": [{ HostIp: "127.0.0.1", HostPort: "5000" }], "6001/udp": [{ HostIp: "127.0.0.1", HostPort: "5001" }] });
    assert.deepEqual(Object.keys(ports(["3000-3003"]).exposed), ["3000/tcp", "3001/tcp", "3002/tcp", "3003/tcp"]);
  });

  // Docker refuses a container range whose host range has another length, rather than bind host
  // ports outside the range the user wrote or one host port to several container ports.
  test("a container range with a host range of another length is refused", () => {
    assert.throws(() => ports(["8000-8001:80-82"]), /range/);
  });
  test("a container range with a single host port is refused", () => {
    assert.throws(() => ports(["8080:80-81"]), /range/);
  });
  // Docker takes a host range for one container port as the range to pick a free host port from.
  test("one container port with a host range publishes on a free port of that range", () => {
    assert.deepEqual(ports(["8000-8010:80"]).bindings, { "80/tcp": [{ HostPort: "8000-8010" }] });
  });

  test("containerSpec: ports and expose become ExposedPorts, ports alone PortBindings", () => {
    const s = spec({ ports: ["8080:80"], expose: [9000, "5353/udp"] });
    assert.deepEqual(s.ExposedPorts, { "80/tcp": {}, "9000/tcp": {}, "5353/udp": {} });
    assert.deepEqual(s.HostConfig!.PortBindings, { "80/tcp": [{ HostPort: "8080" }] });
    const none = spec({ ports: [] });
    assert.equal(none.ExposedPorts, undefined);
    assert.equal(none.HostConfig!.PortBindings, undefined);
  });
});

describe("durations and sizes", () => {
  test("nanoseconds: compound units, fractions and plain seconds", () => {
    assert.equal(nanoseconds("1m30s"), 90e9);
    assert.equal(nanoseconds("500ms"), 500e6);
    assert.equal(nanoseconds("1h2m3s4ms5us6ns"), 3723e9 + 4e6 + 5e3 + 6);
    assert.equal(nanoseconds("1.5s"), 1.5e9);
    assert.equal(nanoseconds(30), 30e9);
    assert.equal(nanoseconds(0.25), 250e6);
    assert.equal(nanoseconds(0), 0);
    assert.equal(nanoseconds(undefined), undefined);
  });

  test("health check: a string test runs in a shell, durations in nanoseconds, disable is NONE", () => {
    assert.deepEqual(spec({ healthcheck: { test: "pgrep sshd", interval: "1m30s", timeout: "500ms", retries: 3, start_period: 10 } }).Healthcheck, {
      Test: ["CMD-SHELL", "pgrep sshd"],
      Interval: 90e9,
      Timeout: 500e6,
      Retries: 3,
      StartPeriod: 10e9,
    });
    const list = spec({ healthcheck: { test: ["CMD", "true"] } }).Healthcheck!;
    assert.deepEqual(list.Test, ["CMD", "true"]);
    assert.equal(list.Interval, undefined);
    assert.deepEqual(spec({ healthcheck: { test: "x", disable: true } }).Healthcheck, { Test: ["NONE"] });
    assert.equal(spec({}).Healthcheck, undefined);
  });

  test("stop_grace_period is whole seconds, rounded up", () => {
    assert.equal(spec({ stop_grace_period: "1m30s" }).StopTimeout, 90);
    assert.equal(spec({ stop_grace_period: "500ms" }).StopTimeout, 1);
    assert.equal(spec({ stop_grace_period: 20 }).StopTimeout, 20);
    assert.equal(spec({}).StopTimeout, undefined);
  });

  test("memory sizes: suffixes k, m, g with or without b, any case; numbers are bytes", () => {
    assert.equal(host({ mem_limit: "512m" }).Memory, 512 * 1024 ** 2);
    assert.equal(host({ mem_limit: "2G" }).Memory, 2 * 1024 ** 3);
    assert.equal(host({ mem_limit: "64kb" }).Memory, 64 * 1024);
    assert.equal(host({ mem_limit: "1gb" }).Memory, 1024 ** 3);
    assert.equal(host({ mem_limit: "100b" }).Memory, 100);
    assert.equal(host({ mem_limit: "4096" }).Memory, 4096);
    assert.equal(host({ mem_limit: 1000 }).Memory, 1000);
    assert.equal(host({ memswap_limit: -1 }).MemorySwap, -1);
    assert.equal(host({ shm_size: "64m" }).ShmSize, 64 * 1024 ** 2);
    assert.equal(host({}).Memory, undefined);
  });

  // Docker and compose (units.RAMInBytes) take a fraction; the limit is silently dropped instead.
  test("a fractional memory size is honoured", () => {
    assert.equal(host({ mem_limit: "1.5g" }).Memory, 1.5 * 1024 ** 3);
  });
});

describe("the rest of the create body", () => {
  test("restart policy: always by default for long-running; as written; never for oneshots and holders", () => {
    assert.deepEqual(host({}).RestartPolicy, { Name: "always" });
    assert.deepEqual(host({ restart: "unless-stopped" }).RestartPolicy, { Name: "unless-stopped" });
    assert.deepEqual(host({ restart: "on-failure:5" }).RestartPolicy, { Name: "on-failure", MaximumRetryCount: 5 });
    assert.deepEqual(host({ restart: "on-failure" }).RestartPolicy, { Name: "on-failure" });
    assert.deepEqual(host({ restart: "always" }, { "io.rancher.os.detach": "false" }).RestartPolicy, { Name: "no" });
    assert.deepEqual(host({ restart: "always" }, { "io.rancher.os.createonly": "true" }).RestartPolicy, { Name: "no" });
  });

  test("devices: host path, container path (default the same) and permissions (default rwm)", () => {
    assert.deepEqual(host({ devices: ["/dev/fuse", "/dev/sda:/dev/xvda", "/dev/ttyS0:/dev/ttyS0:r"] }).Devices, [
      { PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" },
      { PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "rwm" },
      { PathOnHost: "/dev/ttyS0", PathInContainer: "/dev/ttyS0", CgroupPermissions: "r" },
    ]);
    assert.deepEqual(host({}).Devices, []);
  });

  test("logging: the logging map, or the older log_driver/log_opt; options as strings; json-file by default", () => {
    assert.deepEqual(host({ logging: { driver: "syslog", options: { "syslog-address": "udp://1.2.3.4:514", "max-file": 3 } } }).LogConfig, {
      Type: "syslog",
      Config: { "syslog-address": "udp://1.2.3.4:514", "max-file": "3" },
    });
    assert.deepEqual(host({ log_driver: "journald" }).LogConfig, { Type: "journald", Config: {} });
    assert.deepEqual(host({ log_opt: { "max-size": "10m" } }).LogConfig, { Type: "json-file", Config: { "max-size": "10m" } });
    assert.equal(host({}).LogConfig, undefined);
  });

  test("ulimits: a number is soft and hard; sysctls from a map or a list", () => {
    assert.deepEqual(host({ ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 65535 } }).Ulimits, [
      { Name: "nofile", Soft: 1024, Hard: 4096 },
      { Name: "nproc", Soft: 65535, Hard: 65535 },
    ]);
    assert.deepEqual(host({ sysctls: ["net.core.somaxconn=1024", "kernel.msgmax=a=b"] }).Sysctls, { "net.core.somaxconn": "1024", "kernel.msgmax": "a=b" });
    assert.deepEqual(host({ sysctls: { "net.ipv4.ip_forward": 1 } }).Sysctls, { "net.ipv4.ip_forward": "1" });
    assert.equal(host({}).Ulimits, undefined);
    assert.equal(host({}).Sysctls, undefined);
  });

  test("strings that may be lists, namespaces, labels and the service label", () => {
    const s = containerSpec(svc("web", { a: "1" }, { command: "nginx  -g 'daemon off;'", entrypoint: ["/init"], tmpfs: ["/run:size=10m", "/tmp"], dns: "8.8.8.8", dns_search: ["lan"], net: "host", pid: "host", group_add: [44, "video"] }));
    assert.equal(s.name, "web");
    assert.equal(s.Image, "img/web");
    assert.deepEqual(s.Cmd, ["nginx", "-g", "'daemon", "off;'"]);
    assert.deepEqual(s.Entrypoint, ["/init"]);
    assert.deepEqual(s.Labels, { a: "1", "io.rancher.os.service": "web" });
    const h = s.HostConfig!;
    assert.deepEqual(h.Tmpfs, { "/run": "size=10m", "/tmp": "" });
    assert.deepEqual([h.Dns, h.DnsSearch, h.NetworkMode, h.PidMode, h.GroupAdd], [["8.8.8.8"], ["lan"], "host", "host", ["44", "video"]]);
    assert.deepEqual([s.Tty, s.OpenStdin], [false, false]);
    assert.equal(host({ network_mode: "none" }).NetworkMode, "none");
  });
});

describe("dependency graph", () => {
  /** An order of every node in which each comes after what it waits for, or undefined if there is none. */
  function order(deps: Map<string, Set<string>>): string[] | undefined {
    const out: string[] = [];
    const left = new Map([...deps].map(([n, d]) => [n, new Set(d)]));
    while (left.size) {
      const ready = [...left].filter(([, d]) => [...d].every((x) => out.includes(x))).map(([n]) => n);
      if (!ready.length) return undefined;
      for (const n of ready.sort()) (out.push(n), left.delete(n));
    }
    return out;
  }
  const edges = (deps: Map<string, Set<string>>) => Object.fromEntries([...deps].map(([n, d]) => [n, [...d].sort()]));

  test("after, before (reversed) and implied edges; unknown services and self-edges dropped", () => {
    const { deps, cycles } = dependencyGraph([
      svc("network", { "io.rancher.os.after": "udev, nonexistent, network", "io.rancher.os.before": "console, ghost, network" }),
      svc("udev", {}),
      svc("console", {}, { volumes_from: ["data"], links: ["missing"] }),
      svc("data", { "io.rancher.os.createonly": "true" }),
    ]);
    assert.deepEqual(cycles, []);
    assert.deepEqual(edges(deps), { network: ["udev"], udev: [], console: ["data", "network"], data: [] });
    assert.deepEqual(order(deps), ["data", "udev", "network", "console"]);
  });

  test("after one way and before the other way on the same pair is a cycle", () => {
    const { cycles } = dependencyGraph([svc("a", { "io.rancher.os.after": "b", "io.rancher.os.before": "b" }), svc("b", {})]);
    assert.deepEqual(cycles, [["a", "b"]]);
  });

  test("two separate cycles are both reported and the rest is still ordered", () => {
    const { deps, cycles } = dependencyGraph([
      svc("a", { "io.rancher.os.after": "b" }),
      svc("b", { "io.rancher.os.after": "a" }),
      // c → d → e → c, its last edge written as a before label on c.
      svc("c", { "io.rancher.os.after": "d", "io.rancher.os.before": "e" }),
      svc("d", { "io.rancher.os.after": "e" }),
      svc("e", {}),
      svc("f", { "io.rancher.os.after": "a" }),
      svc("x", { "io.rancher.os.after": "y" }),
      svc("y", {}),
    ]);
    assert.deepEqual(cycles, [["a", "b"], ["c", "d", "e"]]);
    // Only the cycles' own edges are gone.
    assert.deepEqual(edges(deps), { a: [], b: [], c: [], d: [], e: [], f: ["a"], x: ["y"], y: [] });
    const o = order(deps)!;
    assert.ok(o, "the graph left is acyclic");
    assert.ok(o.indexOf("a") < o.indexOf("f") && o.indexOf("y") < o.indexOf("x"), o.join(" "));
  });

  test("two cycles through one service are both found", () => {
    const { deps, cycles } = dependencyGraph([svc("a", { "io.rancher.os.after": "b, c" }), svc("b", { "io.rancher.os.after": "a" }), svc("c", { "io.rancher.os.after": "a" })]);
    assert.deepEqual(cycles, [["a", "b"], ["a", "c"]]);
    assert.ok(order(deps));
  });

  test("a cycle's error names its members and closes the circle", () => {
    const e = new CycleError(["a", "b", "c"]);
    assert.match(e.message, /a → b → c → a/);
    assert.deepEqual(e.cycle, ["a", "b", "c"]);
  });

  test("withDependencies: the names and what they wait for, transitively; unknown names and cycles are safe", () => {
    const deps = new Map([
      ["console", new Set(["network", "syslog"])],
      ["network", new Set(["udev"])],
      ["syslog", new Set<string>()],
      ["udev", new Set<string>()],
      ["ntp", new Set(["network"])],
      ["p", new Set(["q"])],
      ["q", new Set(["p"])],
    ]);
    assert.deepEqual([...withDependencies(["console"], deps)].sort(), ["console", "network", "syslog", "udev"]);
    assert.deepEqual([...withDependencies(["ntp", "nope"], deps)].sort(), ["network", "ntp", "udev"]);
    assert.deepEqual([...withDependencies(["p"], deps)].sort(), ["p", "q"]);
    assert.deepEqual([...withDependencies([], deps)], []);
  });
});

describe("fingerprint", () => {
  const body = { Image: "a", HostConfig: { Binds: ["/x:/y"], NetworkMode: "host" }, Env: ["A=1"] };

  test("stable across key order and undefined fields, 16 hex digits", () => {
    const f = fingerprint(body, "sha256:1");
    assert.match(f, /^[0-9a-f]{16}$/);
    assert.equal(fingerprint({ Env: ["A=1"], HostConfig: { NetworkMode: "host", Binds: ["/x:/y"], Memory: undefined }, Image: "a", Cmd: undefined }, "sha256:1"), f);
    assert.equal(fingerprint(structuredClone(body), "sha256:1"), f);
  });

  test("changes with the image id, a nested value, or a list's order", () => {
    const f = fingerprint(body, "sha256:1");
    assert.notEqual(fingerprint(body, "sha256:2"), f);
    assert.notEqual(fingerprint({ ...body, HostConfig: { ...body.HostConfig, NetworkMode: "none" } }, "sha256:1"), f);
    assert.notEqual(fingerprint({ ...body, Env: ["A=1", "B=2"] }, "sha256:1"), f);
    assert.notEqual(fingerprint({ a: [1, 2] }, ""), fingerprint({ a: [2, 1] }, ""));
    assert.notEqual(fingerprint({ a: null }, ""), fingerprint({}, ""));
  });

  test("is the sha256 of the sorted JSON then the image id", () => {
    const expected = createHash("sha256").update('{"a":1,"b":{"c":2,"d":3}}sha256:x').digest("hex").slice(0, 16);
    assert.equal(fingerprint({ b: { d: 3, c: 2 }, a: 1 }, "sha256:x"), expected);
  });

  test("two services built the same way from the same definition agree", () => {
    const def: ServiceConfig = { image: "i", environment: { B: "2", A: "1" }, ports: ["80"], labels: { z: "1", a: "2" } };
    assert.equal(fingerprint(containerSpec(toService("s", def)), "id"), fingerprint(containerSpec(toService("s", structuredClone(def))), "id"));
    assert.notEqual(fingerprint(containerSpec(toService("s", def)), "id"), fingerprint(containerSpec(toService("s", { ...def, ports: ["81"] })), "id"));
  });
});

describe("ros service ps: describe()", () => {
  const NOW = Date.parse("2024-05-01T12:00:00Z");
  const ago = (ms: number) => new Date(NOW - ms).toISOString();
  type State = Partial<Docker.ContainerInspectInfo["State"]>;
  const info = (state: State, restartCount = 0) =>
    ({ RestartCount: restartCount, State: { Status: "running", Running: true, Restarting: false, ExitCode: 0, Error: "", StartedAt: ago(60_000), ...state } }) as unknown as Docker.ContainerInspectInfo;
  const long = svc("web", {});
  const oneshot = svc("init", { "io.rancher.os.detach": "false" });
  const holder = svc("data", { "io.rancher.os.createonly": "true", "io.rancher.os.scope": "user" });
  const ps = (s: Service, state: State | undefined, restarts = 0, health = 0) => describeStatus(s, state && info(state, restarts), health, NOW);

  test("not created", () => {
    assert.deepEqual(ps(long, undefined), { name: "web", scope: "system", kind: "long-running", image: "img/web", state: "not created", health: "-", restarts: 0 });
  });

  test("running: default health is healthy after STABLE_MS, starting before", () => {
    assert.deepEqual(ps(long, { StartedAt: ago(STABLE_MS) }), { name: "web", scope: "system", kind: "long-running", image: "img/web", state: "running", health: "healthy", restarts: 0, since: ago(STABLE_MS) });
    assert.equal(ps(long, { StartedAt: ago(STABLE_MS - 1) }).health, "starting");
    assert.equal(ps(long, { StartedAt: ago(0) }).health, "starting");
  });

  test("the service's own health check wins over the default", () => {
    assert.equal(ps(long, { StartedAt: ago(100), Health: { Status: "healthy" } } as State).health, "healthy");
    const r = ps(long, { StartedAt: ago(60_000), Health: { Status: "unhealthy" } } as State);
    assert.deepEqual([r.state, r.health], ["running", "unhealthy"]);
  });

  test("restarting below the crash-loop count", () => {
    const r = ps(long, { Restarting: true, Running: true, Status: "restarting", StartedAt: ago(1000) }, CRASH_LOOP_RESTARTS - 1);
    assert.deepEqual([r.state, r.restarts], ["restarting", CRASH_LOOP_RESTARTS - 1]);
  });

  test("crash-loop: enough restarts with no stable run; Docker's and the supervisor's restarts add up", () => {
    const restarting = ps(long, { Restarting: true, Status: "restarting", StartedAt: ago(1000) }, CRASH_LOOP_RESTARTS);
    assert.deepEqual([restarting.state, restarting.detail, restarting.restarts], ["crash-loop", "restarting with backoff", CRASH_LOOP_RESTARTS]);
    const shortRun = ps(long, { StartedAt: ago(1000) }, 1, CRASH_LOOP_RESTARTS - 1);
    assert.deepEqual([shortRun.state, shortRun.health, shortRun.restarts, shortRun.detail], ["crash-loop", "starting", CRASH_LOOP_RESTARTS, undefined]);
    const unhealthy = ps(long, { StartedAt: ago(60_000), Health: { Status: "unhealthy" } } as State, 0, CRASH_LOOP_RESTARTS);
    assert.equal(unhealthy.state, "crash-loop");
    const exited = ps(long, { Running: false, Status: "exited", ExitCode: 1 }, CRASH_LOOP_RESTARTS);
    assert.deepEqual([exited.state, exited.health], ["crash-loop", "unhealthy"]);
  });

  test("many restarts but now stable is running, not a crash loop", () => {
    const r = ps(long, { StartedAt: ago(STABLE_MS + 1000) }, 10, 2);
    assert.deepEqual([r.state, r.health, r.restarts], ["running", "healthy", 12]);
  });

  test("a stopped long-running service shows its exit code and error", () => {
    const r = ps(long, { Running: false, Status: "exited", ExitCode: 137, Error: "" });
    assert.deepEqual([r.state, r.health, r.detail], ["exited (exit 137)", "-", undefined]);
    assert.equal(ps(long, { Running: false, Status: "exited", ExitCode: 127, Error: "exec: not found" }).detail, "exec: not found");
  });

  test("oneshot: running, created, done or failed with its exit code", () => {
    assert.deepEqual([ps(oneshot, {}).state, ps(oneshot, {}).health], ["running", "-"]);
    assert.equal(ps(oneshot, { Running: false, Status: "created", StartedAt: "0001-01-01T00:00:00Z" }).state, "created");
    assert.equal(ps(oneshot, { Running: false, Status: "exited", ExitCode: 0 }).state, "done");
    const failed = ps(oneshot, { Running: false, Status: "exited", ExitCode: 3, Error: "boom" });
    assert.deepEqual([failed.state, failed.health, failed.detail, failed.kind], ["failed (exit 3)", "-", "boom", "oneshot"]);
    // Restarts never make a oneshot a crash loop.
    assert.equal(ps(oneshot, { Running: false, Status: "exited", ExitCode: 1 }, 9).state, "failed (exit 1)");
  });

  test("createonly: created, never a health", () => {
    const r = ps(holder, { Running: false, Status: "created", StartedAt: "0001-01-01T00:00:00Z" });
    assert.deepEqual(r, { name: "data", scope: "user", kind: "createonly", image: "img/data", state: "created", health: "-", restarts: 0 });
    assert.equal(ps(holder, { Running: false, Status: "exited" }).state, "exited");
  });

  test("a zero StartedAt is no 'since'", () => {
    assert.equal("since" in ps(long, { Running: false, Status: "created", StartedAt: "0001-01-01T00:00:00Z" }), false);
  });

  test("a container made from another image than the definition's (before an upgrade) says so", () => {
    const made = (image: string) => describeStatus(long, { ...info({}), Config: { Image: image } } as Docker.ContainerInspectInfo, 0, NOW);
    assert.equal(made("img/web").staleImage, undefined);
    const old = made("img/web:old");
    assert.deepEqual([old.state, old.staleImage, old.detail], ["running", "img/web:old", "made from img/web:old"]);
  });
});

describe("log frames", () => {
  const frame = (stream: number, text: string) => {
    const data = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(data.length, 4);
    return Buffer.concat([head, data]);
  };
  const decoded = (raw: Buffer) => logFrames(raw).map(([s, d]) => [s, d.toString()]);

  test("stdout and stderr frames, in order, including an empty one", () => {
    assert.deepEqual(decoded(Buffer.concat([frame(1, "out\n"), frame(2, "err\n"), frame(1, ""), frame(1, "more")])), [[1, "out\n"], [2, "err\n"], [1, ""], [1, "more"]]);
  });

  test("a frame larger than 255 bytes uses the whole 4-byte length", () => {
    const big = "x".repeat(70_000);
    assert.deepEqual(decoded(Buffer.concat([frame(2, big), frame(1, "y")])), [[2, big], [1, "y"]]);
  });

  test("unframed (TTY) output is one stdout chunk; empty is nothing", () => {
    assert.deepEqual(decoded(Buffer.from("hello world\n")), [[1, "hello world\n"]]);
    assert.deepEqual(decoded(Buffer.from([1, 2, 3])), [[1, "\x01\x02\x03"]]);
    // Stream byte right, but the three padding bytes are not zero: not a header.
    assert.deepEqual(logFrames(Buffer.from([1, 0, 0, 7, 0, 0, 0, 0])).length, 1);
    assert.deepEqual(logFrames(Buffer.alloc(0)), []);
  });

  test("logText joins stdout and stderr lines with ' | '", () => {
    assert.equal(logText(Buffer.concat([frame(1, "starting\n"), frame(2, "error: x\nfatal\n")])), "starting | error: x | fatal");
    assert.equal(logText(Buffer.from("  tty line\n")), "tty line");
  });
});

describe("supervisor backoff", () => {
  test("doubles from the base up to the maximum", () => {
    assert.deepEqual([0, 1, 2, 3, 6].map((n) => backoffMs(n, 1000, 60_000)), [1000, 2000, 4000, 8000, 60_000]);
    assert.equal(backoffMs(5, 1000, 60_000), 32_000);
    assert.equal(backoffMs(1e6, 1000, 60_000), 60_000);
    // The exponent is capped, so a huge count never overflows to Infinity.
    assert.equal(backoffMs(1000, 1, Infinity), 2 ** 30);
  });
});

describe("start failures", () => {
  const err = (message: string) => ({ statusCode: 500, json: { message }, message: `(HTTP code 500) server error - ${message} ` });
  const inUse = (port: number) => `port ${port} is in use on the host (another service or process holds it; change \`ports\` or stop the other one)`;

  test("Docker 20.10's 'port is already allocated', any bind address", () => {
    assert.equal(startFailure(err("driver failed programming external connectivity on endpoint web (0f3c9a): Bind for 0.0.0.0:8080 failed: port is already allocated")), inUse(8080));
    assert.equal(startFailure(err("driver failed programming external connectivity on endpoint web (0f3c9a): Bind for 127.0.0.1:443 failed: port is already allocated")), inUse(443));
    assert.equal(startFailure(err("driver failed programming external connectivity on endpoint web (0f3c9a): Bind for :::5000 failed: port is already allocated")), inUse(5000));
  });

  test("the userland proxy's 'address already in use', tcp, tcp4, udp and IPv6", () => {
    assert.equal(startFailure(err("driver failed programming external connectivity on endpoint dns (ab12): Error starting userland proxy: listen tcp4 0.0.0.0:80: bind: address already in use")), inUse(80));
    assert.equal(startFailure(err("Error starting userland proxy: listen tcp 0.0.0.0:2375: bind: address already in use")), inUse(2375));
    assert.equal(startFailure(err("Error starting userland proxy: listen udp4 0.0.0.0:53: bind: address already in use")), inUse(53));
    assert.equal(startFailure(err("Error starting userland proxy: listen tcp6 [::]:8443: bind: address already in use")), inUse(8443));
  });

  test("the message alone (dockerode's wrapper too) when it is not a port clash", () => {
    assert.equal(startFailure(err("OCI runtime create failed: exec: \"nope\": executable file not found")), 'OCI runtime create failed: exec: "nope": executable file not found');
    assert.equal(startFailure(new Error(" no such image \n")), "no such image");
    // A socket path in use is not a port.
    assert.equal(startFailure(err("listen unix /var/run/docker.sock: bind: address already in use")), "listen unix /var/run/docker.sock: bind: address already in use");
    // A port that is only mentioned, with no clash, is left alone.
    assert.equal(startFailure(err("Bind for 0.0.0.0:8080 failed: permission denied")), "Bind for 0.0.0.0:8080 failed: permission denied");
  });
});
