// rancher.docker rendered as dockerd's command line, key by key, and the docker service's definition
// as the build puts it in os-config.yml.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { osConfigText } from "../../build/os-config.ts";
import type { DockerConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";
import { containerSpec } from "../../os/services/container-spec.ts";
import { toService } from "../../os/services/service.ts";
import { validateText } from "../../cloud-config/validate.ts";
import { errorsIn } from "../../cloud-config/diagnostics.ts";
import { dockerdCommand, type DockerdLocations } from "../../system-services/docker/dockerd-args.ts";

const AT: DockerdLocations = { socket: "/var/run/user-docker/docker.sock", dataRoot: "/var/lib/docker", execRoot: "/var/run/docker", pidFile: "/var/run/docker.pid", tlsDir: "/etc/docker/tls" };
const BASE = ["--host=unix:///var/run/user-docker/docker.sock", "--data-root=/var/lib/docker", "--exec-root=/var/run/docker", "--pidfile=/var/run/docker.pid", "--group=docker"];
/** The arguments after the ones every command line starts with. */
const extra = (c: DockerConfig) => dockerdCommand(c, AT).args.slice(BASE.length);

test("no config: our socket, data root, exec root, pidfile and the docker group, nothing else", () => {
  assert.deepEqual(dockerdCommand(undefined, AT), { args: BASE, env: {}, files: [], pidFiles: ["/var/run/docker.pid", "/var/run/docker/containerd/containerd.pid"], warnings: [] });
  assert.deepEqual(dockerdCommand({}, AT).args, BASE);
});

test("every typed key has its flag", () => {
  assert.deepEqual(
    extra({
      storage_driver: "overlay2",
      storage_opts: ["size=10G"],
      log_driver: "json-file",
      log_opts: { "max-size": "25m", "max-file": 2 },
      registry_mirror: "https://mirror.example.com",
      insecure_registry: ["a.local:5000", "b.local"],
      bridge: "br0",
      bip: "172.18.0.1/16",
      fixed_cidr: "172.18.1.0/24",
      mtu: 1400,
      iptables: false,
      ip_masq: false,
      userland_proxy: false,
      ipv6: true,
      icc: false,
      live_restore: true,
      selinux_enabled: false,
      debug: true,
      containerd: "/run/containerd/containerd.sock",
      config_file: "/etc/docker/daemon.json",
    }),
    [
      "--storage-driver=overlay2",
      "--storage-opt=size=10G",
      "--log-driver=json-file",
      "--log-opt=max-size=25m",
      "--log-opt=max-file=2",
      "--registry-mirror=https://mirror.example.com",
      "--insecure-registry=a.local:5000",
      "--insecure-registry=b.local",
      "--bridge=br0",
      "--bip=172.18.0.1/16",
      "--fixed-cidr=172.18.1.0/24",
      "--mtu=1400",
      "--iptables=false",
      "--ip-masq=false",
      "--userland-proxy=false",
      "--ipv6=true",
      "--icc=false",
      "--live-restore=true",
      "--selinux-enabled=false",
      "--debug=true",
      "--containerd=/run/containerd/containerd.sock",
      "--config-file=/etc/docker/daemon.json",
    ],
  );
  assert.deepEqual(extra({ insecure_registry: "one.local" }), ["--insecure-registry=one.local"]);
});

test("data_root (or RancherOS's graph), exec_root, pid_file and group replace ours", () => {
  const args = dockerdCommand({ graph: "/mnt/docker", exec_root: "/run/d", pid_file: "/run/d.pid", group: "wheel" }, AT).args;
  assert.deepEqual(args.slice(1), ["--data-root=/mnt/docker", "--exec-root=/run/d", "--pidfile=/run/d.pid", "--group=wheel"]);
  assert.equal(dockerdCommand({ graph: "/g", data_root: "/d" }, AT).args[1], "--data-root=/d");
  assert.deepEqual(dockerdCommand({ exec_root: "/run/d", pid_file: "/run/d.pid" }, AT).pidFiles, ["/run/d.pid", "/run/d/containerd/containerd.pid"]);
});

test("args and extra_args come last, in that order; RancherOS's daemon subcommand is dropped", () => {
  assert.deepEqual(extra({ debug: false, args: ["daemon", "--log-level=warn"], extra_args: ["--max-concurrent-downloads=1"] }), ["--debug=false", "--log-level=warn", "--max-concurrent-downloads=1"]);
  assert.deepEqual(extra({ args: ["docker", "daemon", "-s", "overlay2"] }), ["-s", "overlay2"]);
  assert.deepEqual(extra({ args: ["dockerd", "--ipv6"] }), ["--ipv6"]);
});

test("the host socket is served once: /var/run/docker.sock is a link to it, other hosts are added", () => {
  assert.deepEqual(extra({ host: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"] }), ["--host=tcp://127.0.0.1:2375"]);
  assert.deepEqual(extra({ host: "unix:///var/run/docker.sock" }), []);
  assert.deepEqual(extra({ args: ["-H", "unix:///var/run/docker.sock", "-H=tcp://0.0.0.0:2375", "--host=unix:///var/run/docker.sock", "-G", "docker"] }), ["-H=tcp://0.0.0.0:2375", "-G", "docker"]);
});

test("environment entries reach dockerd's environment; one without = is reported", () => {
  const c = dockerdCommand({ environment: ["HTTP_PROXY=http://proxy:3128", "NO_PROXY=a=b", "BROKEN"] }, AT);
  assert.deepEqual(c.env, { HTTP_PROXY: "http://proxy:3128", NO_PROXY: "a=b" });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /"BROKEN" is not NAME=value/);
});

test("tls with certificates: they are written and dockerd verifies clients on 2376", () => {
  const c = dockerdCommand({ tls: true, ca_cert: "CA", server_cert: "CERT", server_key: "KEY" }, AT);
  assert.deepEqual(c.args.slice(BASE.length), ["--tlsverify", "--tlscacert=/etc/docker/tls/ca.pem", "--tlscert=/etc/docker/tls/server-cert.pem", "--tlskey=/etc/docker/tls/server-key.pem", "--host=tcp://0.0.0.0:2376"]);
  assert.deepEqual(c.files, [
    { path: "/etc/docker/tls/ca.pem", content: "CA", mode: 0o644 },
    { path: "/etc/docker/tls/server-cert.pem", content: "CERT", mode: 0o644 },
    { path: "/etc/docker/tls/server-key.pem", content: "KEY", mode: 0o600 },
  ]);
  assert.deepEqual(c.warnings, []);
});

test("tls without certificates opens no TCP port and says what is missing", () => {
  const c = dockerdCommand({ tls: true, ca_cert: "CA" }, AT);
  assert.deepEqual(c.args, BASE);
  assert.deepEqual(c.files, []);
  assert.match(c.warnings[0]!, /rancher\.docker\.server_cert, rancher\.docker\.server_key are not set/);
});

test("tls_args are the user's own: passed as written, with the certificates the config has", () => {
  const c = dockerdCommand({ tls: true, tls_args: ["--tlsverify", "-H=0.0.0.0:2376"], server_key: "KEY" }, AT);
  assert.deepEqual(c.args.slice(BASE.length), ["--tlsverify", "-H=0.0.0.0:2376"]);
  assert.deepEqual(c.files.map((f) => f.path), ["/etc/docker/tls/server-key.pem"]);
  // Certificates without tls: true are kept in the config but not used.
  assert.deepEqual(dockerdCommand({ server_key: "KEY", tls_args: ["--tlsverify"] }, AT).args, BASE);
});

test("an engine name is not switched, and says so", () => {
  assert.match(dockerdCommand({ engine: "docker-17.06.1-ce" }, AT).warnings[0]!, /engine \(docker-17\.06\.1-ce\) is not switched/);
});

const dockerService = () => (parse(osConfigText("9.9.9")) as { rancher: { services: Record<string, ServiceConfig> } }).rancher.services.docker!;

test("the docker service: host namespaces, privileged, healthy only while dockerd answers, after the console", () => {
  const s = toService("docker", dockerService());
  assert.equal(s.def.image, "corral/os-docker:9.9.9");
  assert.deepEqual(s.after, ["console"]);
  assert.equal(s.scope, "system");
  const spec = containerSpec(s);
  assert.deepEqual(spec.Cmd, ["/usr/bin/ros", "docker-init"]);
  // Pinging the socket (the probe itself is run against a real daemon in the integration test).
  assert.deepEqual(spec.Healthcheck!.Test!.slice(0, 3), ["CMD", "/usr/bin/node", "-e"]);
  assert.match(spec.Healthcheck!.Test![3]!, /\/var\/run\/user-docker\/docker\.sock.*\/_ping/);
  const h = spec.HostConfig!;
  assert.deepEqual([h.NetworkMode, h.PidMode, h.IpcMode, h.UTSMode], ["host", "host", "host", "host"]);
  assert.deepEqual(h.RestartPolicy, { Name: "always" });
});

test("the docker service shares its socket folder with the host, never /var/run or the system Docker's socket", () => {
  const binds = dockerService().volumes!;
  assert.ok(binds.includes("/var/run/user-docker:/var/run/user-docker"));
  for (const b of ["/usr/sbin/dockerd", "/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/runc"]) assert.ok(binds.includes(`${b}:${b}:ro`), b);
  const sources = binds.map((v) => v.split(":")[0]!);
  for (const forbidden of ["/", "/var", "/var/run", "/run", "/var/run/system-docker.sock"]) assert.ok(!sources.includes(forbidden), `binds ${forbidden}`);
});

test("a RancherOS tls cloud-config validates with the keys the renderer reads", () => {
  const v = validateText("rancher:\n  docker:\n    tls: true\n    args: [daemon, -s, overlay2]\n    extra_args: [--debug]\n    environment: [HTTP_PROXY=http://p:3128]\n", "cc.yml");
  assert.deepEqual(errorsIn(v.diagnostics), []);
});
