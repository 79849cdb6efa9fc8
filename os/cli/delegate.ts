// A command run in a container (the console) cannot replace that container: it would stop itself
// halfway and leave nothing running. It hands `ros service up` to a short-lived container on
// system-docker, which outlives what it replaces, with the definitions already resolved (that
// container sees no catalog) and the same host paths as here.
import { existsSync } from "node:fs";
import Docker from "dockerode";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";
import { paths, ROS_ROOT } from "../paths.ts";
import { VERSION } from "../version.ts";
import { dockerMessage } from "../services/docker-errors.ts";
import { logFrames } from "../services/log-frames.ts";

/** Docker puts this file in every container's root. */
export const inContainer = () => existsSync("/.dockerenv");

export interface Delegated { services: Record<string, ServiceConfig>; environment: Record<string, string | number | boolean | null> }

const NAME = "ros-service-up";

export async function upElsewhere(work: Delegated, names: string[]): Promise<{ code: number; output: string }> {
  const docker = new Docker({ socketPath: paths.systemDockerSock });
  const shared = [paths.systemDockerSock, paths.userDockerRun];
  await docker.getContainer(NAME).remove({ force: true }).catch(() => undefined);
  const c = await docker.createContainer({
    name: NAME,
    Image: `corral/os-base:${VERSION}`,
    Cmd: ["/usr/bin/ros", "service", "up", "--definitions", JSON.stringify(work), ...names],
    Env: [`ROS_ROOT=${ROS_ROOT}`],
    // The host's PIDs: /proc/1 is the host's init, whose capabilities decide how privileged is made.
    HostConfig: { Binds: shared.map((p) => `${p}:${p}`), NetworkMode: "host", PidMode: "host" },
  });
  const exited = c.wait({ condition: "next-exit" }) as Promise<{ StatusCode: number }>;
  try {
    await c.start();
  } catch (e) {
    await c.remove({ force: true }).catch(() => undefined);
    return { code: 1, output: `the container that runs \`ros service up\` could not start: ${dockerMessage(e)}` };
  }
  const { StatusCode } = await exited;
  const raw = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
  await c.remove().catch(() => undefined);
  return { code: StatusCode, output: Buffer.concat(logFrames(raw).map(([, d]) => d)).toString("utf8") };
}
