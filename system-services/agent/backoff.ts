// How long the agent waits before its next attempt: doubling from `baseMs`, capped, with a little
// jitter so hosts booted together do not knock on the managers in step.
export interface Backoff { baseMs: number; capMs: number; jitter: number }

export const DEFAULT_BACKOFF: Backoff = { baseMs: 2_000, capMs: 60_000, jitter: 0.2 };

/** `failures`: attempts failed in a row (1 after the first); `random` in [0, 1). */
export function backoffMs(failures: number, b: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(b.capMs, b.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  const spread = exp * b.jitter * (2 * random() - 1);
  return Math.round(Math.min(b.capMs, Math.max(0, exp + spread)));
}

/** Waits `ms`, or less when `signal` aborts (resolving either way, so a loop just checks the signal). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const early = () => (clearTimeout(t), resolve());
    // Removed when the time is up: a loop that sleeps for days would otherwise pile listeners on the signal.
    const t = setTimeout(() => (signal?.removeEventListener("abort", early), resolve()), ms);
    signal?.addEventListener("abort", early, { once: true });
  });
