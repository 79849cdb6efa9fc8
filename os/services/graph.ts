// The order services start in: edges from `after`/`before` labels and compose's volumes_from,
// links and depends_on. Edges to services that are not defined are dropped (RancherOS configs name
// services a given image may not have); a cycle is a config error that names its members.
import type { Service } from "./service.ts";

export class CycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`services depend on each other in a circle: ${[...cycle, cycle[0]].join(" → ")} (remove one of the io.rancher.os.after/before labels, volumes_from or links that make it)`);
  }
}

/** The graph, and every cycle in it; each cycle's own edges are left out so the rest can be ordered. */
export function dependencyGraph(services: Service[]): { deps: Map<string, Set<string>>; cycles: string[][] } {
  const known = new Set(services.map((s) => s.name));
  const deps = new Map(services.map((s) => [s.name, new Set(s.after.filter((a) => known.has(a) && a !== s.name))]));
  for (const s of services) for (const b of s.before) if (known.has(b) && b !== s.name) deps.get(b)!.add(s.name);
  const cycles: string[][] = [];
  for (let cycle = findCycle(deps); cycle; cycle = findCycle(deps)) {
    cycles.push(cycle);
    cycle.forEach((n, i) => deps.get(n)!.delete(cycle[(i + 1) % cycle.length]!));
  }
  return { deps, cycles };
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
