// The two Dockers services run on: system-docker (the OS's own services) and user-docker (the
// user's, itself the `docker` service on system-docker).
import Docker from "dockerode";
import { waitForDocker } from "../docker.ts";
import { paths } from "../paths.ts";
import type { Scope } from "./service.ts";

export interface Engines {
  system: Docker;
  /** Resolves once the user Docker answers; rejects after its time budget. */
  user(): Promise<Docker>;
}

export const USER_DOCKER_WAIT_MS = 120_000;

export function engines(system = new Docker({ socketPath: paths.systemDockerSock }), userSocket = paths.userDockerSocket, waitMs = USER_DOCKER_WAIT_MS): Engines {
  let user: Promise<Docker> | undefined;
  return {
    system,
    user: () =>
      (user ??= (async () => {
        const d = new Docker({ socketPath: userSocket });
        await waitForDocker(d, waitMs).catch((e: Error) => {
          user = undefined;
          throw new Error(`the user Docker is not answering on ${userSocket} (is the \`docker\` service running? ${e.message})`);
        });
        return d;
      })()),
  };
}

export const engineFor = (e: Engines, scope: Scope): Promise<Docker> => (scope === "user" ? e.user() : Promise.resolve(e.system));
