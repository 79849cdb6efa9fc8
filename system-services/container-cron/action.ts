// Doing what a schedule asks to one container, and saying what happened in the words of the log.
import type Docker from "dockerode";
import { isNotFound } from "../../os/services/docker-errors.ts";
import type { Action } from "./labels.ts";

const DONE: Record<Action, string> = { start: "started", restart: "restarted", stop: "stopped" };
// Docker answers 304 when the container is already in the state asked for: not a failure.
const UNCHANGED: Partial<Record<Action, string>> = { start: "was already running", stop: "was already stopped" };

/** Acts on container `id`; resolves to what happened, as "started NAME" or "NAME was already running". */
export async function act(docker: Docker, id: string, action: Action, name: string): Promise<string> {
  const c = docker.getContainer(id);
  try {
    // No stop timeout given: Docker uses the container's own, as `docker stop` would.
    await (action === "start" ? c.start() : action === "restart" ? c.restart() : c.stop());
    return `${DONE[action]} ${name}`;
  } catch (e) {
    const unchanged = UNCHANGED[action];
    if ((e as { statusCode?: number }).statusCode === 304 && unchanged) return `${name} ${unchanged}`;
    throw e;
  }
}

/** The container no longer exists, or is on its way out. */
export async function gone(docker: Docker, id: string): Promise<boolean> {
  try {
    const { State } = await docker.getContainer(id).inspect();
    return State.Status === "removing" || State.Dead;
  } catch (e) {
    return isNotFound(e);
  }
}
