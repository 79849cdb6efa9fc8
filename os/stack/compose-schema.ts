// The part of the Compose file format (version 3) a Swarm stack uses: services, networks and volumes,
// with the short and long forms Docker accepts. Keys Swarm ignores (build, container_name, links,
// restart, depends_on…) are accepted and ignored, as `docker stack deploy` does.
import { z } from "zod";

const duration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, 'a duration such as "5s", "1m30s" or "500ms"');
// A number may come from a ${VAR}: interpolation yields text, which Compose reads as the number.
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.preprocess((v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));
const stringList = z.union([z.string(), z.array(z.string())]);
const keyValues = z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())]);

const port = z.union([
  int(1, 65535),
  z.string().regex(/^((\d{1,3}(\.\d{1,3}){3}):)?((\d+)(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/, 'a port such as "8080:80", "8080:80/udp" or "80"'),
  z.strictObject({
    target: int(1, 65535),
    published: int(1, 65535).optional(),
    protocol: z.enum(["tcp", "udp", "sctp"]).optional(),
    mode: z.enum(["ingress", "host"]).optional(),
  }),
]);

const volumeMount = z.union([
  z.string().min(1),
  z.strictObject({
    type: z.enum(["volume", "bind", "tmpfs"]).default("volume"),
    source: z.string().optional(),
    target: z.string().startsWith("/", "an absolute path in the container"),
    read_only: z.boolean().optional(),
  }),
]);

const serviceNetworks = z.union([
  z.array(z.string()),
  z.record(z.string(), z.union([z.null(), z.strictObject({ aliases: z.array(z.string()).optional() })])),
]);

export const composeService = z.looseObject({
  image: z.string().min(1, "a service needs an image (no registry is reachable: it must already be on every node)"),
  command: stringList.optional(),
  entrypoint: stringList.optional(),
  environment: keyValues.optional(),
  labels: keyValues.optional(),
  hostname: z.string().optional(),
  user: z.string().optional(),
  working_dir: z.string().optional(),
  stop_grace_period: duration.optional(),
  ports: z.array(port).optional(),
  networks: serviceNetworks.optional(),
  volumes: z.array(volumeMount).optional(),
  healthcheck: z.strictObject({
    test: stringList.optional(),
    interval: duration.optional(),
    timeout: duration.optional(),
    retries: int(0).optional(),
    start_period: duration.optional(),
    disable: z.boolean().optional(),
  }).optional(),
  deploy: z.strictObject({
    mode: z.enum(["replicated", "global"]).optional(),
    replicas: int(0).optional(),
    endpoint_mode: z.enum(["vip", "dnsrr"]).optional(),
    labels: keyValues.optional(),
    placement: z.strictObject({
      constraints: z.array(z.string()).optional(),
      max_replicas_per_node: int(0).optional(),
    }).optional(),
    restart_policy: z.strictObject({
      condition: z.enum(["none", "on-failure", "any"]).optional(),
      delay: duration.optional(),
      max_attempts: int(0).optional(),
      window: duration.optional(),
    }).optional(),
    update_config: z.looseObject({}).optional(),
    resources: z.looseObject({}).optional(),
  }).optional(),
});

export const composeNetwork = z.union([z.null(), z.strictObject({
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  attachable: z.boolean().optional(),
  internal: z.boolean().optional(),
  external: z.union([z.boolean(), z.strictObject({ name: z.string() })]).optional(),
  name: z.string().optional(),
  labels: keyValues.optional(),
})]);

export const composeVolume = z.union([z.null(), z.strictObject({
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  external: z.union([z.boolean(), z.strictObject({ name: z.string() })]).optional(),
  name: z.string().optional(),
  labels: keyValues.optional(),
})]);

export const composeFile = z.looseObject({
  version: z.union([z.string(), z.number()]).optional(),
  services: z.record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "a service name of letters, digits, _ . -"), composeService),
  networks: z.record(z.string(), composeNetwork).optional(),
  volumes: z.record(z.string(), composeVolume).optional(),
});

export type ComposeFile = z.infer<typeof composeFile>;
export type ComposeService = z.infer<typeof composeService>;
