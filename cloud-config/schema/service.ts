// A service (rancher.services.<name>): compose-style, as RancherOS wrote them, plus health checks.
import { z } from "zod";
import { bool, int, list, map, msg, scalar, str, strList, strOrList } from "./primitives.ts";

const NAMESPACE = ["host", "none", ""] as const;
const nsMode = (key: string) => str(`"host" or a container:NAME`).refine((v) => (NAMESPACE as readonly string[]).includes(v) || v.startsWith("container:") || (key === "net" && /^[A-Za-z0-9_.-]+$/.test(v)), msg(`must be "host", "none" or container:NAME`));
const DURATION = msg("must be a duration", 'like "30s" or "1m30s"');
const duration = () => z.union([z.string().regex(/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/, DURATION), z.number().min(0)], { error: DURATION });
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

export const healthcheck = z.strictObject({
  test: z.union([z.string(), z.array(str())], { error: msg('must be a command', 'like ["CMD", "pgrep", "sshd"] or "pgrep sshd"') }).optional(),
  interval: duration().optional(),
  timeout: duration().optional(),
  retries: int(0, 1000).optional(),
  start_period: duration().optional(),
  disable: bool().optional(),
});

export const service = z.strictObject({
  image: str("an image reference"),
  command: strOrList("a command string or a list of arguments").optional(),
  entrypoint: strOrList("a command string or a list of arguments").optional(),
  environment: z.union([z.array(str()), map(z.union([z.string(), z.number(), z.boolean(), z.null()]))], { error: msg("must be a list of NAME=value (or NAME, or a glob like B*) or a map") }).optional(),
  env_file: strOrList().optional(),
  labels: z.union([map(scalar(), "a map of label names to values"), z.array(z.string().regex(/^[^=]+=/, msg("must be name=value")))], { error: msg("must be a map of labels, or a list of name=value") }).optional(),
  volumes: strList("a list of volumes", 'like "/host/path:/container/path:ro"').optional(),
  volumes_from: strList("a list of service names").optional(),
  tmpfs: strOrList().optional(),
  net: nsMode("net").optional(),
  network_mode: nsMode("net").optional(),
  pid: nsMode("pid").optional(),
  ipc: nsMode("ipc").optional(),
  uts: nsMode("uts").optional(),
  privileged: bool().optional(),
  cap_add: strList("a list of capabilities").optional(),
  cap_drop: strList("a list of capabilities").optional(),
  devices: strList("a list of devices").optional(),
  security_opt: strList().optional(),
  restart: str("a restart policy").regex(RESTART, msg('must be "no", "always", "unless-stopped" or "on-failure[:N]"')).optional(),
  ports: list(z.union([z.string(), z.number()]), "a list of ports", 'like "8080:80"').optional(),
  expose: list(z.union([z.string(), z.number()]), "a list of ports").optional(),
  healthcheck: healthcheck.optional(),
  logging: z.strictObject({ driver: str().optional(), options: map(scalar()).optional() }).optional(),
  log_driver: str().optional(),
  log_opt: map(scalar()).optional(),
  tty: bool().optional(),
  stdin_open: bool().optional(),
  user: str().optional(),
  working_dir: str().optional(),
  hostname: str().optional(),
  domainname: str().optional(),
  dns: strOrList().optional(),
  dns_search: strOrList().optional(),
  extra_hosts: strList().optional(),
  links: strList().optional(),
  external_links: strList().optional(),
  depends_on: strList("a list of service names").optional(),
  container_name: str().optional(),
  read_only: bool().optional(),
  init: bool().optional(),
  mem_limit: z.union([z.string(), z.number()]).optional(),
  memswap_limit: z.union([z.string(), z.number()]).optional(),
  shm_size: z.union([z.string(), z.number()]).optional(),
  cpu_shares: int(0, 262144).optional(),
  cpuset: str().optional(),
  pids_limit: int(-1, 2 ** 31 - 1).optional(),
  oom_score_adj: int(-1000, 1000).optional(),
  ulimits: map(z.union([z.number(), z.strictObject({ soft: z.number(), hard: z.number() })])).optional(),
  sysctls: z.union([map(scalar()), z.array(z.string())]).optional(),
  group_add: list(z.union([z.string(), z.number()])).optional(),
  cgroup_parent: str().optional(),
  cgroup: z.enum(["host", "private"], { error: msg('must be "host" or "private"') }).optional(),
  stop_signal: str().optional(),
  stop_grace_period: duration().optional(),
});
