// Turns a service definition into the Docker API's container-create body.
import type Docker from "dockerode";
import type { ServiceDef } from "./service-def.ts";

const asList = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

function env(e: ServiceDef["environment"]): string[] | undefined {
  if (e === undefined) return undefined;
  return Array.isArray(e) ? e : Object.entries(e).map(([k, v]) => `${k}=${v}`);
}

function restartPolicy(restart: string | undefined): { Name: string; MaximumRetryCount?: number } | undefined {
  if (!restart) return undefined;
  const [name, count] = restart.split(":");
  return count ? { Name: name!, MaximumRetryCount: Number(count) } : { Name: name! };
}

export function containerSpec(name: string, s: ServiceDef): Docker.ContainerCreateOptions {
  return {
    name,
    Image: s.image,
    Cmd: asList(s.command),
    Entrypoint: asList(s.entrypoint),
    Env: env(s.environment),
    Labels: { ...(s.labels ?? {}), "io.rancher.os.service": name },
    Tty: s.tty ?? false,
    OpenStdin: s.stdin_open ?? false,
    HostConfig: {
      Binds: s.volumes,
      NetworkMode: s.net,
      PidMode: s.pid,
      IpcMode: s.ipc,
      UTSMode: s.uts,
      Privileged: s.privileged ?? false,
      RestartPolicy: restartPolicy(s.restart),
    },
  };
}
