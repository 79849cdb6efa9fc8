// The one time budget all `#include` fetches of a decode share. The clock starts at the first fetch;
// when it runs out every fetch still going is aborted, and a fetcher that ignores its AbortSignal is
// abandoned anyway, so a server that never answers cannot hold the boot.

export class IncludeDeadline {
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(readonly budgetMs: number) {}

  /** Runs `fetch` under the shared budget; rejects once the budget is spent, whatever `fetch` does. */
  run<T>(fetch: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.#start();
    const signal = this.#controller.signal;
    if (signal.aborted) return Promise.reject(this.#expired());
    const work = fetch(signal);
    work.catch(() => {}); // a late failure of abandoned work is not an unhandled rejection
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.#expired());
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(signal.aborted ? this.#expired() : e);
        },
      );
    });
  }

  /** Stops the clock; call when the decode is over. */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#timer = setTimeout(() => this.#controller.abort(), Math.max(0, this.budgetMs));
    this.#timer.unref();
  }

  #expired(): Error {
    return new Error(`the ${this.budgetMs} ms all #include fetches share ran out`);
  }
}
