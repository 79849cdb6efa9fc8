// Polls every datasource at once. The first to find user data wins and the rest are aborted; when
// the budget runs out, whatever has not answered is aborted and abandoned (a source that ignores
// its signal cannot hold the boot). One report line per source says what became of it. A source
// that is present but holds no user data (metadata only) wins too: it is where this instance runs.
import type { Datasource, Found } from "./types.ts";

export async function fetchFirst(sources: Datasource[], budgetMs: number): Promise<{ found?: Found; report: string[] }> {
  const started = Date.now();
  const ms = () => `${Date.now() - started} ms`;
  const report: (string | undefined)[] = sources.map(() => undefined);
  const controllers = sources.map(() => new AbortController());
  if (sources.length === 0) return { report: [] };

  return new Promise((resolve) => {
    let settled = 0;
    let done = false;
    const finish = (found?: Found) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sources.forEach((s, i) => {
        if (report[i] !== undefined) return;
        report[i] = found ? `${s.name}: cancelled (${found.source} answered first)` : `${s.name}: timed out after ${budgetMs} ms (abandoned)`;
        controllers[i]!.abort(new Error(found ? "another datasource answered first" : `the ${budgetMs} ms budget ran out`));
      });
      resolve({ ...(found ? { found } : {}), report: report as string[] });
    };
    const timer = setTimeout(() => finish(), Math.max(0, budgetMs));

    sources.forEach((s, i) => {
      const signal = controllers[i]!.signal;
      Promise.resolve()
        .then(() => s.fetch(signal))
        .then(
          (found) => {
            if (done) return;
            report[i] = found ? `${s.name}: answered in ${ms()} (${found.source}${found.userData ? "" : ", no user data"})` : `${s.name}: absent (${ms()})`;
            if (found) finish(found);
          },
          (e: unknown) => {
            if (done) return;
            report[i] = `${s.name}: failed after ${ms()}: ${e instanceof Error ? e.message : String(e)}`;
          },
        )
        .finally(() => {
          if (!done && ++settled === sources.length) finish();
        });
    });
  });
}
