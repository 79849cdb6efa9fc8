// Docker API clients for the system and user daemons (dockerode; never the docker CLI).
import Docker from "dockerode";
import { paths } from "./paths.ts";

export function systemDocker(): Docker {
  return new Docker({ socketPath: paths.systemDockerSock });
}

/** Resolves when the daemon answers a ping, or rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForDocker(docker: Docker, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await docker.ping();
      return;
    } catch (e) {
      if (!alive()) throw new Error("dockerd exited before it was ready");
      if (Date.now() > until) throw new Error(`dockerd not ready after ${timeoutMs / 1000}s: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
