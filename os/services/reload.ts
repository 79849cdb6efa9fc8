// `io.rancher.os.reloadconfig: "true"`: a service that changes the config when it runs (a cloud-init
// that fetches user data, say). Once such a service has started or finished, the config is read
// again and the runner goes over the services once more, so what it added or changed comes up too;
// what did not change is kept as it is (fingerprints).
import type { Engines } from "./engines.ts";
import { up, type Outcome, type UpOptions } from "./runner.ts";
import type { Service } from "./service.ts";

export interface Loaded { services: Service[]; environment: Record<string, string | number | boolean | null> }

export async function upReloading(first: Loaded, reload: () => Promise<Loaded>, engines: Engines, o: Omit<UpOptions, "environment"> = {}): Promise<Outcome[]> {
  const outcomes = await up(first.services, engines, { ...o, environment: first.environment });
  const reloaders = new Set(first.services.filter((s) => s.reloadconfig).map((s) => s.name));
  if (!outcomes.some((x) => reloaders.has(x.name) && ["started", "done", "running"].includes(x.result))) return outcomes;
  o.log?.("config reloaded: bringing services up again");
  const next = await reload();
  // Oneshots already ran in this pass; the second pass only adds and updates.
  const again = await up(next.services, engines, { ...o, rerunOneshots: false, environment: next.environment });
  const byName = new Map(outcomes.map((x) => [x.name, x]));
  for (const x of again) byName.set(x.name, x.result === "done" && byName.get(x.name)?.result === "done" ? byName.get(x.name)! : x);
  return [...byName.values()];
}
