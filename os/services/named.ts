// A service's container, found by its exact name. Docker resolves a reference as a full ID, then a
// name, then an ID prefix: with no container named "db" (or "ca", "cafe": hex), it answers with any
// container whose ID starts so. Checking the name keeps the runner off other containers.
import type Docker from "dockerode";
import { isNotFound } from "./docker-errors.ts";

/** The container named `name`, or undefined when there is none. */
export async function inspectNamed(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  const info = await docker.getContainer(name).inspect().catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  return info?.Name === `/${name}` ? info : undefined;
}

/** The container named `name` as a handle on its ID, or undefined when there is none. */
export async function containerNamed(docker: Docker, name: string): Promise<Docker.Container | undefined> {
  const info = await inspectNamed(docker, name);
  return info && docker.getContainer(info.Id);
}
