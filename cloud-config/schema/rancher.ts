// The rancher: namespace of RancherOS, as Corral reads it.
import { z } from "zod";
import { docker } from "./docker.ts";
import { network } from "./network.ts";
import { absPath, bool, int, ip, listenAddress, map, msg, scalar, scalarMap, str, strList, strOrList, tunnelUrl } from "./primitives.ts";
import { service } from "./service.ts";

const INCLUDE = msg("must be true or false", "true enables the service, false disables it");
const include = z.union([z.boolean(), z.string().regex(/^(true|false)$/, INCLUDE)], { error: INCLUDE });

export const rancher = z.strictObject({
  network: network.optional(),
  docker: docker.optional(),
  system_docker: docker.optional(),
  services: map(service, "a map of service names to definitions").optional(),
  services_include: map(include, "a map of service names to true or false").optional(),
  repositories: map(z.strictObject({ url: str("a URL or a local folder") }), "a map of repository names to { url: … }").optional(),
  console: str("a console name").optional(),
  environment: map(z.union([z.string(), z.number(), z.boolean(), z.null()]), "a map of variable names to values").optional(),
  sysctl: map(scalar(), "a map of sysctl names to values").optional(),
  modules: strList("a list of kernel modules").optional(),
  ssh: z.strictObject({
    keys: map(str("a PEM private key"), "a map of host key names to keys").optional(),
    port: int(1, 65535, "a port from 1 to 65535").optional(),
    listen_address: ip().optional(),
    daemon: bool().optional(),
  }).optional(),
  state: z.strictObject({
    dev: str("a device, LABEL=… or UUID=…").optional(),
    fstype: str().optional(),
    autoformat: strList("a list of devices").optional(),
    wait: bool().optional(),
    required: bool().optional(),
    formatzero: bool().optional(),
    directory: str().optional(),
    mdadm_scan: bool().optional(),
    lvm_scan: bool().optional(),
    cryptsetup: bool().optional(),
    rngd: bool().optional(),
    script: str().optional(),
    oem_dev: str().optional(),
    oem_fstype: str().optional(),
    boot_dev: str().optional(),
    boot_fstype: str().optional(),
  }).optional(),
  upgrade: z.strictObject({
    url: str("a URL").optional(),
    image: str().optional(),
    policy: z.enum(["manual", "auto", "notify"], { error: msg('must be "manual", "auto" or "notify"') }).optional(),
    public_key: str().optional(),
  }).optional(),
  cloud_init: z.strictObject({ datasources: strList("a list of datasources", "like [nocloud, configdrive, ec2, url:http://…]").optional() }).optional(),
  agent: z.strictObject({
    swarm: z.strictObject({
      role: z.enum(["manager", "worker"], { error: msg('must be "manager" or "worker"') }).optional(),
      init: bool().optional(),
      join: strList("a list of manager addresses", 'like ["10.0.0.10:2377"]').optional(),
      token: str().optional(),
      token_file: str().optional(),
      advertise_addr: str().optional(),
      listen_addr: str().optional(),
      labels: map(scalar()).optional(),
    }).optional(),
    /** The host API (os/api/): on TCP with mutual TLS when listen is set; its certificates (`ros tls gen`) in tls_dir. */
    api: z.strictObject({ listen: listenAddress().optional(), tls_dir: absPath().optional() }).optional(),
    /** The outbound tunnel (system-services/agent/tunnel.ts): the management layer to dial, its bearer token, and a CA for a wss:// URL whose certificate no system CA signed. */
    url: tunnelUrl().optional(),
    token: str().optional(),
    ca_file: absPath().optional(),
  }).optional(),
  /**
   * Swarm stacks the first manager (rancher.agent.swarm.init) deploys at boot and after each change,
   * idempotently (os/stack/): a Compose file on the host, a catalog entry, or the file inline.
   */
  stacks: map(z.strictObject({
    file: absPath().optional(),
    catalog: str("a catalog stack name (NAME or REPO/NAME)").optional(),
    compose: map(z.unknown(), "a Compose file's top level (services:, networks:, volumes:)").optional(),
    vars: scalarMap("a map of variable names to values").optional(),
  }).refine((s) => [s.file, s.catalog, s.compose].filter((x) => x !== undefined).length === 1, msg("needs exactly one of file:, catalog: or compose:", "file: /path/to/stack.yml, catalog: NAME, or compose: { services: … }")), "a map of stack names to { file | catalog | compose, vars }").optional(),
  debug: bool().optional(),
  autologin: strOrList("a console name (like ttyS0) or a list of them").optional(),
  restart_services: strList("a list of service names").optional(),
  shutdown_timeout: int(0, 3600, "a number of seconds").optional(),
  recovery: bool().optional(),
  /**
   * The journal service's size caps (ros logs): one file, and all of them (the oldest go first); and
   * whether records are copied to a systemd journald when its socket exists (default yes).
   */
  journal: z.strictObject({
    max_file_mb: int(1, 1024, "a number of MiB from 1 to 1024").optional(),
    max_total_mb: int(1, 65536, "a number of MiB from 1 to 65536").optional(),
    forward_journald: bool().optional(),
  }).optional(),
});
