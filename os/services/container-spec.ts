// Turns a service into the Docker API's container-create body.
import type Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";
import { hostPath } from "../paths.ts";
import { serviceEnv } from "./environment.ts";
import { privilegedBinds, privilegedHostConfig } from "./privileged.ts";
import { LABEL, type Service } from "./service.ts";

const asList = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
/** "1m30s" (or a number of seconds) in nanoseconds. */
export function nanoseconds(d: string | number | undefined): number | undefined {
  if (d === undefined) return undefined;
  if (typeof d === "number") return Math.round(d * 1e9);
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_NS[m[2]!]!;
  return Math.round(total);
}

const UNIT_BYTES: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
/** Compose sizes: 512m, 1.5g, 2GiB, or a number of bytes. */
function bytes(v: string | number | undefined): number | undefined {
  if (v === undefined || typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?$/i.exec(v.trim());
  return m ? Math.round(Number(m[1]) * UNIT_BYTES[m[2]!.toLowerCase()]!) : undefined;
}

function restartPolicy(s: Service): Docker.HostRestartPolicy {
  // Oneshots and holders run once; a long-running service restarts unless it says otherwise.
  if (s.kind !== "long-running") return { Name: "no" };
  const [name, count] = (s.def.restart ?? "always").split(":");
  return count ? { Name: name!, MaximumRetryCount: Number(count) } : { Name: name! };
}

/** Compose volumes: host paths become Binds (placed by hostPath), a bare container path an anonymous volume. */
function volumes(list: string[] = []): { binds: string[]; anonymous: Record<string, object> } {
  const binds: string[] = [];
  const anonymous: Record<string, object> = {};
  for (const v of list) {
    const [src, ...rest] = v.split(":");
    if (rest.length === 0) anonymous[src!] = {};
    else binds.push([src!.startsWith("/") ? hostPath(src!) : src!, ...rest].join(":"));
  }
  return { binds, anonymous };
}

interface PortSpec { exposed: Record<string, object>; bindings: Record<string, { HostIp?: string; HostPort?: string }[]> }

/**
 * Compose ports: "80", "8080:80", "127.0.0.1:8080:80", "53:53/udp", ranges of equal length, and
 * one container port with a host range (Docker picks a free port in it). Throws on other ranges.
 */
export function ports(list: (string | number)[] = []): PortSpec {
  const out: PortSpec = { exposed: {}, bindings: {} };
  for (const p of list) {
    const [spec, proto = "tcp"] = String(p).split("/");
    const parts = spec!.split(":");
    const container = parts.pop()!;
    const host = parts.pop();
    const ip = parts.pop();
    const [c0, c1 = c0] = container.split("-").map(Number) as [number, number?];
    const [h0, h1 = h0] = (host ? host.split("-").map(Number) : []) as [number?, number?];
    const hostRange = h0 !== undefined && h1 !== h0;
    if (hostRange && c1 !== c0 && h1! - h0 !== c1! - c0) throw new Error(`ports: ${p}: the host and container ranges differ in length`);
    if (!hostRange && h0 !== undefined && c1 !== c0) throw new Error(`ports: ${p}: a range of container ports needs a host range of the same length`);
    for (let i = 0; i <= c1! - c0; i++) {
      const key = `${c0 + i}/${proto}`;
      out.exposed[key] = {};
      const hostPort = h0 === undefined ? "" : !hostRange ? String(h0) : c1 === c0 ? `${h0}-${h1}` : String(h0 + i);
      (out.bindings[key] ??= []).push({ ...(ip ? { HostIp: ip } : {}), HostPort: hostPort });
    }
  }
  return out;
}

function devices(list: string[] = []): Docker.DeviceMapping[] {
  return list.map((d) => {
    const [host, container = host, perms = "rwm"] = d.split(":");
    return { PathOnHost: host!, PathInContainer: container!, CgroupPermissions: perms };
  });
}

function healthcheck(h: ServiceConfig["healthcheck"]): Docker.HealthConfig | undefined {
  if (!h) return undefined;
  if (h.disable) return { Test: ["NONE"] };
  const test = typeof h.test === "string" ? ["CMD-SHELL", h.test] : h.test;
  return { Test: test, Interval: nanoseconds(h.interval), Timeout: nanoseconds(h.timeout), Retries: h.retries, StartPeriod: nanoseconds(h.start_period) };
}

function logConfig(s: ServiceConfig): Docker.HostConfig["LogConfig"] {
  const type = s.logging?.driver ?? s.log_driver;
  const options = s.logging?.options ?? s.log_opt;
  if (!type && !options) return undefined;
  return { Type: type ?? "json-file", Config: Object.fromEntries(Object.entries(options ?? {}).map(([k, v]) => [k, String(v)])) };
}

function ulimits(u: ServiceConfig["ulimits"]): { Name: string; Soft: number; Hard: number }[] | undefined {
  return u && Object.entries(u).map(([Name, v]) => (typeof v === "number" ? { Name, Soft: v, Hard: v } : { Name, Soft: v.soft, Hard: v.hard }));
}

function sysctls(s: ServiceConfig["sysctls"]): Record<string, string> | undefined {
  if (!s) return undefined;
  const pairs = Array.isArray(s) ? s.map((x) => x.split(/=(.*)/s, 2) as [string, string]) : Object.entries(s);
  return Object.fromEntries(pairs.map(([k, v]) => [k, String(v)]));
}

const strList = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/**
 * `environment` is rancher.environment, for the entries that look their value up by name.
 * `missing`: the capabilities this machine lacks (privileged mode is translated when there are any);
 * the machine's own by default.
 */
export function containerSpec(s: Service, environment: Record<string, string | number | boolean | null> = {}, missing?: string[]): Docker.ContainerCreateOptions {
  const d = s.def;
  const vols = volumes(d.volumes);
  const p = ports(d.ports?.length ? d.ports : undefined);
  for (const e of d.expose ?? []) p.exposed[String(e).includes("/") ? String(e) : `${e}/tcp`] = {};
  const privileged = d.privileged ? privilegedHostConfig(missing) : {};
  const capDrop = [...(privileged.CapDrop ?? []), ...(d.cap_drop ?? [])];
  const securityOpt = [...(privileged.SecurityOpt ?? []), ...(d.security_opt ?? [])];
  const binds = [...vols.binds, ...(d.privileged ? privilegedBinds(missing).filter((b) => !vols.binds.some((v) => v.split(":")[1] === b.split(":")[1])) : [])];
  return {
    name: s.name,
    Image: d.image,
    Cmd: asList(d.command),
    Entrypoint: asList(d.entrypoint),
    Env: serviceEnv(d.environment, environment),
    Labels: { ...s.labels, [LABEL.service]: s.name },
    Tty: d.tty ?? false,
    OpenStdin: d.stdin_open ?? false,
    User: d.user,
    WorkingDir: d.working_dir,
    Hostname: d.hostname,
    Domainname: d.domainname,
    ExposedPorts: Object.keys(p.exposed).length ? p.exposed : undefined,
    Volumes: Object.keys(vols.anonymous).length ? vols.anonymous : undefined,
    Healthcheck: healthcheck(d.healthcheck),
    StopSignal: d.stop_signal,
    StopTimeout: d.stop_grace_period === undefined ? undefined : Math.ceil(nanoseconds(d.stop_grace_period)! / 1e9),
    HostConfig: {
      Binds: binds.length ? binds : undefined,
      VolumesFrom: d.volumes_from,
      NetworkMode: d.net ?? d.network_mode,
      PidMode: d.pid,
      IpcMode: d.ipc,
      UTSMode: d.uts,
      ...privileged,
      CapAdd: [...(privileged.CapAdd ?? []), ...(d.cap_add ?? [])],
      CapDrop: capDrop.length ? capDrop : undefined,
      SecurityOpt: securityOpt.length ? securityOpt : undefined,
      Devices: devices(d.devices),
      PortBindings: Object.keys(p.bindings).length ? p.bindings : undefined,
      RestartPolicy: restartPolicy(s),
      LogConfig: logConfig(d),
      Tmpfs: strList(d.tmpfs) && Object.fromEntries(strList(d.tmpfs)!.map((t) => [t.split(":")[0]!, t.split(":")[1] ?? ""])),
      Dns: strList(d.dns),
      DnsSearch: strList(d.dns_search),
      ExtraHosts: d.extra_hosts,
      Links: d.links,
      ReadonlyRootfs: d.read_only,
      Init: d.init,
      Memory: bytes(d.mem_limit),
      MemorySwap: bytes(d.memswap_limit),
      ShmSize: bytes(d.shm_size),
      CpuShares: d.cpu_shares,
      CpusetCpus: d.cpuset,
      PidsLimit: d.pids_limit,
      OomScoreAdj: d.oom_score_adj,
      Ulimits: ulimits(d.ulimits),
      Sysctls: sysctls(d.sysctls),
      GroupAdd: d.group_add?.map(String),
      CgroupParent: d.cgroup_parent,
      ...(d.cgroup ? { CgroupnsMode: d.cgroup } : {}),
    },
  };
}
