// Records when each system service's container started, turned healthy, or (a oneshot) exited,
// into the boot timeline. One container list a second, until every service is ready or done and
// the services stage is over, or WATCH_MS have passed: the boot's cost, not the host's.
import type Docker from "dockerode";
import { log } from "../log.ts";
import { LABEL } from "../services/service.ts";
import { saveTimeline, sinceBoot, sinceBootAt, type BootTimeline } from "./timeline.ts";

const POLL_MS = 1000;
const WATCH_MS = 10 * 60_000;

export interface Watch {
  /** Says the services stage is over: the watch ends once what it started is ready. */
  stageDone(): void;
}

export function watchServices(docker: Docker, t: BootTimeline): Watch {
  let stageDone = false;
  const until = Date.now() + WATCH_MS;
  const tick = async (): Promise<boolean> => {
    const list = await docker.listContainers({ all: true, filters: { label: [LABEL.service] } });
    let changed = false;
    let waiting = false;
    for (const c of list) {
      const name = c.Labels[LABEL.service]!;
      if (c.State === "created") continue;
      let s = t.services[name];
      if (!s) {
        const info = await docker.getContainer(c.Id).inspect();
        const started = sinceBootAt(info.State.StartedAt);
        // Left from the boot before (a power cut): it counts once this boot starts it again.
        if (started < t.init) continue;
        s = t.services[name] = { started };
        changed = true;
      }
      if (c.State === "running") {
        if (s.healthy === undefined && /\(healthy\)/.test(c.Status)) {
          s.healthy = sinceBoot();
          changed = true;
        }
        if (s.healthy === undefined && /\(health: starting\)|\(unhealthy\)/.test(c.Status)) waiting = true;
      } else if (s.finished === undefined && c.State === "exited") {
        const info = await docker.getContainer(c.Id).inspect();
        s.finished = sinceBootAt(info.State.FinishedAt);
        s.exitCode = info.State.ExitCode;
        changed = true;
      }
    }
    const over = stageDone && !waiting;
    if (over || Date.now() > until) t.complete = true;
    if (changed || t.complete) saveTimeline(t);
    return t.complete;
  };
  const loop = async () => {
    for (;;) {
      try {
        if (await tick()) return;
      } catch (e) {
        log("init", `boot timeline: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  void loop();
  return { stageDone: () => void (stageDone = true) };
}
