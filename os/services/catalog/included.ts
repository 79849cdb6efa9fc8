// The services of every entry rancher.services_include turns on. Each entry stands alone: one that
// cannot be resolved is reported and the others still apply.
import { isDeepStrictEqual } from "node:util";
import type { CloudConfig, ServiceConfig } from "../../../cloud-config/schema/index.ts";
import { CatalogError } from "./errors.ts";
import { resolveIn } from "./resolve.ts";
import { Session, type CatalogOptions } from "./session.ts";

export async function includedServices(config: CloudConfig, opts: CatalogOptions = {}): Promise<{ services: Record<string, ServiceConfig>; errors: string[] }> {
  const wanted = Object.entries(config.rancher?.services_include ?? {}).filter(([, on]) => on === true || on === "true").map(([ref]) => ref);
  if (wanted.length === 0) return { services: {}, errors: [] };
  const session = new Session(config, opts);
  // All at once (they share the session's fetches); merged below in config order, so the result
  // does not depend on which server answers first.
  const results = await Promise.allSettled(wanted.map((ref) => resolveIn(session, ref, "services")));
  const services: Record<string, ServiceConfig> = {};
  const from: Record<string, string> = {};
  const errors: string[] = [];
  results.forEach((r, i) => {
    const ref = wanted[i]!;
    const where = `rancher.services_include.${ref}`;
    if (r.status === "rejected") {
      const e = r.reason as Error;
      errors.push(`${where}: ${e instanceof CatalogError ? e.message : `unexpected error: ${e.stack ?? e.message}`}`);
      return;
    }
    for (const [name, def] of Object.entries(r.value.services)) {
      // Two entries may share a helper (a volume holder); differing definitions cannot both apply.
      if (Object.hasOwn(services, name)) {
        if (!isDeepStrictEqual(services[name], def)) errors.push(`${where}: service "${name}" is also defined by ${from[name]}, whose definition is used`);
        continue;
      }
      services[name] = def;
      from[name] = where;
    }
  });
  return { services, errors };
}
