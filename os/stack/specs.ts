// A stack's compose file as the Swarm objects that run it: its networks (overlay, encrypted unless
// the file says `encrypted: "false"`), its services and their mounts. Names and labels are the ones
// `docker stack deploy` gives (STACK_NAME, com.docker.stack.namespace), so Docker's own tools see
// the same stack; the spec's hash lets a second deploy of the same file change nothing.
import { createHash } from "node:crypto";
import type { ComposeFile, ComposeService } from "./compose-schema.ts";

export const NAMESPACE = "com.docker.stack.namespace";
export const SPEC_HASH = "io.corral.stack.spec-hash";

export interface NetworkPlan { name: string; external: boolean; spec: Record<string, unknown> }
export interface ServicePlan { name: string; spec: Record<string, unknown> & { Labels: Record<string, string> } }
export interface StackPlan { stack: string; networks: NetworkPlan[]; services: ServicePlan[] }

/** A problem the schema cannot see (a reference to an undeclared network or volume), at its path. */
export interface RefProblem { path: (string | number)[]; message: string; hint: string }

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
/** A Go duration ("1m30s") in nanoseconds. */
export const nanoseconds = (d: string): number => [...d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((n, [, v, u]) => n + Number(v) * UNITS[u!]!, 0);

const asList = (v: string | string[]) => (typeof v === "string" ? v.split(/\s+/).filter(Boolean) : v);
const asEnv = (v: Record<string, unknown> | string[]) => (Array.isArray(v) ? v : Object.entries(v).map(([k, x]) => (x === null ? k : `${k}=${String(x)}`)));
const asLabels = (v: Record<string, unknown> | string[] | undefined): Record<string, string> => {
  if (!v) return {};
  if (!Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? "" : String(x)]));
  return Object.fromEntries(v.map((l) => [l.split("=")[0]!, l.includes("=") ? l.slice(l.indexOf("=") + 1) : ""]));
};

const serviceNetworkNames = (s: ComposeService): [string, string[]][] => {
  if (!s.networks) return [["default", []]];
  if (Array.isArray(s.networks)) return s.networks.map((n) => [n, []]);
  return Object.entries(s.networks).map(([n, o]) => [n, o?.aliases ?? []]);
};

interface Mount { type: "volume" | "bind" | "tmpfs"; source?: string; target: string; readOnly: boolean }
function mountOf(m: NonNullable<ComposeService["volumes"]>[number]): Mount {
  if (typeof m !== "string") return { type: m.type, source: m.source, target: m.target, readOnly: m.read_only ?? false };
  const [a, b, c] = m.split(":");
  if (b === undefined) return { type: "volume", target: a!, readOnly: false };
  return { type: /^[./~]/.test(a!) ? "bind" : "volume", source: a, target: b, readOnly: c?.split(",").includes("ro") ?? false };
}

/** References to networks and volumes the file does not declare. */
export function refProblems(f: ComposeFile): RefProblem[] {
  const problems: RefProblem[] = [];
  for (const [name, s] of Object.entries(f.services)) {
    for (const [net] of serviceNetworkNames(s)) {
      if (net !== "default" && !(f.networks && net in f.networks)) problems.push({ path: ["services", name, "networks"], message: `network ${net} is not declared`, hint: `declare it under the top-level networks: (${net}: {})` });
    }
    for (const [i, v] of (s.volumes ?? []).entries()) {
      const m = mountOf(v);
      if (m.type === "volume" && m.source && !(f.volumes && m.source in f.volumes)) problems.push({ path: ["services", name, "volumes", i], message: `volume ${m.source} is not declared`, hint: `declare it under the top-level volumes: (${m.source}: {})` });
    }
  }
  return problems;
}

const externalName = (key: string, o: { external?: boolean | { name: string }; name?: string }) => (typeof o.external === "object" ? o.external.name : o.name ?? key);

function networkPlans(stack: string, f: ComposeFile): Map<string, NetworkPlan> {
  const plans = new Map<string, NetworkPlan>();
  const used = new Set(Object.values(f.services).flatMap((s) => serviceNetworkNames(s).map(([n]) => n)));
  for (const key of used) {
    const o = f.networks?.[key] ?? {};
    const ns = { [NAMESPACE]: stack };
    if (o.external) {
      plans.set(key, { name: externalName(key, o), external: true, spec: {} });
      continue;
    }
    const opts = Object.fromEntries(Object.entries(o.driver_opts ?? {}).map(([k, v]) => [k, String(v)]));
    const driver = o.driver ?? "overlay";
    // Swarm encrypts an overlay when the option is present at all, whatever its value.
    if (driver === "overlay") {
      if (opts.encrypted === "false") delete opts.encrypted;
      else opts.encrypted = "";
    }
    const name = o.name ?? `${stack}_${key}`;
    plans.set(key, { name, external: false, spec: { Name: name, Driver: driver, Options: opts, Attachable: o.attachable ?? false, Internal: o.internal ?? false, Labels: { ...asLabels(o.labels), ...ns }, CheckDuplicate: true } });
  }
  return plans;
}

function portsOf(s: ComposeService): Record<string, unknown>[] {
  return (s.ports ?? []).flatMap((p) => {
    if (typeof p === "object") return [{ TargetPort: p.target, PublishedPort: p.published === undefined ? undefined : Number(p.published), Protocol: p.protocol ?? "tcp", PublishMode: p.mode ?? "ingress" }];
    const [spec, proto = "tcp"] = String(p).split("/");
    const parts = spec!.split(":");
    const target = parts.at(-1)!;
    const published = parts.length > 1 ? parts.at(-2) : undefined;
    return [{ TargetPort: Number(target), PublishedPort: published === undefined ? undefined : Number(published), Protocol: proto, PublishMode: "ingress" }];
  });
}

function healthOf(s: ComposeService): Record<string, unknown> | undefined {
  const h = s.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ["NONE"] };
  const test = h.test === undefined ? undefined : typeof h.test === "string" ? ["CMD-SHELL", h.test] : h.test;
  return {
    Test: test,
    Interval: h.interval ? nanoseconds(h.interval) : undefined,
    Timeout: h.timeout ? nanoseconds(h.timeout) : undefined,
    Retries: h.retries,
    StartPeriod: h.start_period ? nanoseconds(h.start_period) : undefined,
  };
}

const hash = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);

/** Every Swarm object of stack `stack` from its (already checked) compose file. */
export function stackPlan(stack: string, f: ComposeFile): StackPlan {
  const nets = networkPlans(stack, f);
  const services = Object.entries(f.services).map(([key, s]): ServicePlan => {
    const name = `${stack}_${key}`;
    const d = s.deploy ?? {};
    const mounts = (s.volumes ?? []).map(mountOf).map((m) => {
      const vol = m.type === "volume" && m.source ? f.volumes?.[m.source] ?? {} : undefined;
      const source = vol ? (vol.external ? externalName(m.source!, vol) : vol.name ?? `${stack}_${m.source}`) : m.source;
      return {
        Type: m.type,
        Source: source,
        Target: m.target,
        ReadOnly: m.readOnly,
        VolumeOptions: vol && !vol.external ? { Labels: { ...asLabels(vol.labels), [NAMESPACE]: stack }, DriverConfig: vol.driver || vol.driver_opts ? { Name: vol.driver ?? "local", Options: Object.fromEntries(Object.entries(vol.driver_opts ?? {}).map(([k, v]) => [k, String(v)])) } : undefined } : undefined,
      };
    });
    const restart = d.restart_policy;
    const spec = {
      Name: name,
      Labels: { ...asLabels(d.labels), [NAMESPACE]: stack },
      TaskTemplate: {
        ContainerSpec: {
          Image: s.image,
          Command: s.entrypoint === undefined ? undefined : asList(s.entrypoint),
          Args: s.command === undefined ? undefined : asList(s.command),
          Env: s.environment === undefined ? undefined : asEnv(s.environment),
          Labels: { ...asLabels(s.labels), [NAMESPACE]: stack },
          Hostname: s.hostname,
          User: s.user,
          Dir: s.working_dir,
          StopGracePeriod: s.stop_grace_period ? nanoseconds(s.stop_grace_period) : undefined,
          Healthcheck: healthOf(s),
          Mounts: mounts,
        },
        Networks: serviceNetworkNames(s).map(([n, aliases]) => ({ Target: nets.get(n)!.name, Aliases: [key, ...aliases] })),
        Placement: { Constraints: d.placement?.constraints, MaxReplicas: d.placement?.max_replicas_per_node },
        RestartPolicy: restart ? { Condition: restart.condition, Delay: restart.delay ? nanoseconds(restart.delay) : undefined, MaxAttempts: restart.max_attempts, Window: restart.window ? nanoseconds(restart.window) : undefined } : undefined,
      },
      Mode: d.mode === "global" ? { Global: {} } : { Replicated: { Replicas: d.replicas ?? 1 } },
      EndpointSpec: { Mode: d.endpoint_mode ?? "vip", Ports: portsOf(s) },
    };
    // JSON drops the undefined fields, so the spec sent is the spec hashed.
    const clean = JSON.parse(JSON.stringify(spec)) as ServicePlan["spec"];
    clean.Labels[SPEC_HASH] = hash(clean);
    return { name, spec: clean };
  });
  return { stack, networks: [...nets.values()], services };
}
