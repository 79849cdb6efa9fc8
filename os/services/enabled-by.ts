// A system service that only makes sense when a setting is there (the agent without
// rancher.agent.swarm has nothing to do) names it in its io.corral.os.enabled_by label; without
// the setting the service is not configured at all, so no container is started for it.
import type { CloudConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";
import { labelMap } from "./service.ts";

export const ENABLED_BY = "io.corral.os.enabled_by";

/** The value at a dotted key path (rancher.agent.swarm), or undefined. */
function at(config: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), config);
}

export function enabledBy(def: ServiceConfig, config: CloudConfig): boolean {
  const key = labelMap(def.labels)[ENABLED_BY]?.trim();
  if (!key) return true;
  const v = at(config, key);
  return v !== undefined && v !== null && v !== false;
}

export function onlyEnabled(defs: Record<string, ServiceConfig>, config: CloudConfig): Record<string, ServiceConfig> {
  return Object.fromEntries(Object.entries(defs).filter(([, def]) => enabledBy(def, config)));
}
