// Calls a function at each time of a schedule. A run still going when the next time comes makes
// that time skipped, not queued: a slow stop must not pile up behind itself.
import type { Schedule } from "./schedule.ts";

// setTimeout fires at once for anything longer (about 24.8 days); @yearly waits in hops instead.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface Ticker {
  stop(): void;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
}

/** `onError`: the schedule has no next time (it can fail to find one); the ticker then ends. */
export function tick(schedule: Schedule, run: () => Promise<void>, onError: (e: Error) => void): Ticker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const wait = (at: number) => {
    const left = at - Date.now();
    // Timers may fire a little early, and the wall clock may be set back: wait out the rest.
    if (left > 0) timer = setTimeout(() => wait(at), Math.min(left, MAX_TIMEOUT_MS));
    else fire(at);
  };
  const arm = (from: number) => {
    if (stopped) return;
    let at: number;
    try {
      at = schedule.next(new Date(from)).getTime();
    } catch (e) {
      onError(e as Error);
      return;
    }
    wait(at);
  };
  const fire = (at: number) => {
    if (stopped) return;
    running = run().catch(() => undefined);
    // From the due time, so periods do not drift; from now if the run overran, skipping what it missed.
    void running.then(() => arm(Math.max(at, Date.now())));
  };

  arm(Date.now());
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    idle: () => running,
  };
}
