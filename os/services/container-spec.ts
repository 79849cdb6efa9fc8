// Turns a service definition into the Docker API's container-create body.
import type Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";

const asList = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

function env(e: ServiceConfig["environment"]): string[] | undefined {
  if (e === undefined) return undefined;
  return Array.isArray(e) ? e : Object.entries(e).map(([k, v]) => `${k}=${v ?? ""}`);
}

function labels(l: ServiceConfig["labels"]): Record<string, string> {
  const pairs = Array.isArray(l) ? l.map((x) => x.split(/=(.*)/s, 2) as [string, string]) : Object.entries(l ?? {});
  return Object.fromEntries(pairs.map(([k, v]) => [k, String(v)]));
}

function restartPolicy(restart: string | undefined): { Name: string; MaximumRetryCount?: number } | undefined {
  if (!restart) return undefined;
  const [name, count] = restart.split(":");
  return count ? { Name: name!, MaximumRetryCount: Number(count) } : { Name: name! };
}

export function containerSpec(name: string, s: ServiceConfig): Docker.ContainerCreateOptions {
  return {
    name,
    Image: s.image,
    Cmd: asList(s.command),
    Entrypoint: asList(s.entrypoint),
    Env: env(s.environment),
    Labels: { ...labels(s.labels), "io.rancher.os.service": name },
    Tty: s.tty ?? false,
    OpenStdin: s.stdin_open ?? false,
    HostConfig: {
      Binds: s.volumes,
      NetworkMode: s.net ?? s.network_mode,
      PidMode: s.pid,
      IpcMode: s.ipc,
      UTSMode: s.uts,
      Privileged: s.privileged ?? false,
      RestartPolicy: restartPolicy(s.restart),
    },
  };
}
