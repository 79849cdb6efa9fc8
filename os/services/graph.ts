// The order services start in: edges from `after`/`before` labels and compose's volumes_from,
// links and depends_on. Edges to services that are not defined are dropped (RancherOS configs name
// services a given image may not have); a cycle is a config error that names its members.
import type { Service } from "./service.ts";

export class CycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`services depend on each other in a circle: ${[...cycle, cycle[0]].join(" → ")} (remove one of the io.rancher.os.after/before labels, volumes_from or links that make it)`);
  }
}

/** For each service, the services it waits for. Throws CycleError. */
export function dependencies(services: Service[]): Map<string, Set<string>> {
  const known = new Set(services.map((s) => s.name));
  const deps = new Map(services.map((s) => [s.name, new Set(s.after.filter((a) => known.has(a) && a !== s.name))]));
  for (const s of services) for (const b of s.before) if (known.has(b) && b !== s.name) deps.get(b)!.add(s.name);
  const cycle = findCycle(deps);
  if (cycle) throw new CycleError(cycle);
  return deps;
}

function findCycle(deps: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "open") return stack.slice(stack.indexOf(n));
    state.set(n, "open");
    stack.push(n);
    for (const d of [...deps.get(n)!].sort()) {
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of [...deps.keys()].sort()) {
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

/** `names` and everything they wait for, transitively. */
export function withDependencies(names: string[], deps: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n) || !deps.has(n)) return;
    out.add(n);
    for (const d of deps.get(n)!) add(d);
  };
  names.forEach(add);
  return out;
}

/** Services in the order they may stop: every service before the ones it waits for. */
export function stopOrder(deps: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of deps.get(n) ?? []) visit(d);
    order.push(n);
  };
  [...deps.keys()].sort().forEach(visit);
  return order.reverse();
}
