// A service as the runner sees it: its definition plus what its RancherOS labels say about where
// and how it runs.
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";

export const LABEL = {
  scope: "io.rancher.os.scope",
  after: "io.rancher.os.after",
  before: "io.rancher.os.before",
  detach: "io.rancher.os.detach",
  createonly: "io.rancher.os.createonly",
  reloadconfig: "io.rancher.os.reloadconfig",
  /** Set by the runner: which service a container belongs to, and the definition it was made from. */
  service: "io.rancher.os.service",
  fingerprint: "io.corral.service.fingerprint",
} as const;

export type Scope = "system" | "user";
/** long-running: kept up and health-checked; oneshot: run to exit 0; createonly: created, never started. */
export type Kind = "long-running" | "oneshot" | "createonly";

export interface Service {
  name: string;
  def: ServiceConfig;
  labels: Record<string, string>;
  scope: Scope;
  kind: Kind;
  /** Services that must be up (or, for oneshots, done) before this one starts. */
  after: string[];
  /** Services that must wait for this one. */
  before: string[];
  reloadconfig: boolean;
}

/** Compose labels as a map, whichever of the two compose forms the definition used. */
export function labelMap(l: ServiceConfig["labels"]): Record<string, string> {
  const pairs = Array.isArray(l) ? l.map((x) => x.split(/=(.*)/s, 2) as [string, string]) : Object.entries(l ?? {});
  return Object.fromEntries(pairs.map(([k, v]) => [k, String(v ?? "")]));
}

const names = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const isTrue = (v: string | undefined) => v?.toLowerCase() === "true";

export function toService(name: string, def: ServiceConfig): Service {
  const labels = labelMap(def.labels);
  const kind: Kind = isTrue(labels[LABEL.createonly]) ? "createonly" : labels[LABEL.detach]?.toLowerCase() === "false" ? "oneshot" : "long-running";
  // volumes_from, links and depends_on name services that must exist first, as in compose.
  const implied = [...(def.volumes_from ?? []).map((v) => v.split(":")[0]!), ...(def.links ?? []).map((l) => l.split(":")[0]!), ...(def.depends_on ?? [])];
  return {
    name,
    def,
    labels,
    scope: labels[LABEL.scope] === "user" ? "user" : "system",
    kind,
    after: [...new Set([...names(labels[LABEL.after]), ...implied])],
    before: names(labels[LABEL.before]),
    reloadconfig: isTrue(labels[LABEL.reloadconfig]),
  };
}

export function toServices(defs: Record<string, ServiceConfig>): Service[] {
  return Object.entries(defs).map(([name, def]) => toService(name, def));
}
