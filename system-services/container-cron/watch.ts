// Keeps an up-to-date list of one Docker's containers carrying a label. Docker's events say when a
// container is created, renamed or destroyed; each one triggers a fresh listing, which stays correct
// whatever events were missed. A Docker that is not there yet, or goes away, is retried quietly.
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";

export interface Labelled {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface WatchHandlers {
  /** The full current list, after each change (and once on connecting). */
  onList(containers: Labelled[]): void;
  /** The Docker answered after being absent (true), or stopped answering (false). */
  onReachable(up: boolean): void;
}

export interface Watch {
  stop(): void;
}

export function watchLabelled(docker: Docker, label: string, h: WatchHandlers, retryMs = 2000): Watch {
  const abort = new AbortController();
  let stream: NodeJS.ReadableStream | undefined;
  // Ending the event stream is how a failed listing or stop() makes the loop below move on.
  const hangUp = () => (stream as unknown as { destroy?(): void } | undefined)?.destroy?.();

  const list = async () => {
    const found = await docker.listContainers({ all: true, filters: { label: [label] } });
    if (abort.signal.aborted) return;
    h.onList(found.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ""), labels: c.Labels ?? {} })));
  };

  // One listing at a time; events arriving meanwhile ask for exactly one more.
  let listing: Promise<void> | undefined;
  let again = false;
  const relist = (): Promise<void> => {
    if (listing) {
      again = true;
      return listing;
    }
    listing = (async () => {
      do {
        again = false;
        await list();
      } while (again && !abort.signal.aborted);
    })().finally(() => (listing = undefined));
    return listing;
  };

  const follow = async () => {
    let up = false;
    while (!abort.signal.aborted) {
      try {
        // Subscribed before listing, so a container made in between is not missed.
        stream = await docker.getEvents({ filters: { type: ["container"], event: ["create", "destroy", "rename"], label: [label] } });
        if (abort.signal.aborted) break;
        if (!up) h.onReachable((up = true));
        await relist();
        // What changed is not read: any event (a chunk may hold several) means list again.
        for await (const _events of stream) relist().catch(hangUp);
      } catch {
        // Not there yet, or gone: said once by onReachable, never per retry.
      }
      hangUp();
      // A listing still under way must not bring back what going down is about to drop.
      await listing?.catch(() => undefined);
      if (abort.signal.aborted) break;
      if (up) h.onReachable((up = false));
      await sleep(retryMs, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  };
  void follow().finally(hangUp);

  return {
    stop() {
      abort.abort();
      hangUp();
    },
  };
}
