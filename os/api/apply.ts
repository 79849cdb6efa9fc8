// Brings the services to what the config now says, after the API changed it (modes `now` and
// `try`, and a try's revert): what `ros service up` does. From inside a container (the agent) the
// work goes to a short-lived container, which outlives the agent should the change replace it.
import { loadConfig } from "../../cloud-config/load.ts";
import { inContainer, upElsewhere } from "../cli/delegate.ts";
import { configuredServices } from "../services/configured.ts";
import { engines } from "../services/engines.ts";
import { upReloading, type Loaded } from "../services/reload.ts";

async function loaded(): Promise<Loaded & { errors: string[] }> {
  const c = loadConfig().config;
  const { services, errors } = await configuredServices(c, { preferCache: true });
  return { services, environment: c.rancher?.environment ?? {}, errors };
}

/**
 * One line per service (`name: result`), the catalog's errors, and why it stopped if it did: the
 * config is written by then, so a failure here is part of the reply, not a refusal.
 */
export async function applyServices(o: { delegate?: boolean } = {}): Promise<string[]> {
  try {
    return await bringUp(o.delegate ?? inContainer());
  } catch (e) {
    return [`error: the services were not brought up: ${(e as Error).message}`];
  }
}

async function bringUp(delegate: boolean): Promise<string[]> {
  const first = await loaded();
  if (delegate) {
    const r = await upElsewhere({ services: Object.fromEntries(first.services.map((s) => [s.name, s.def])), environment: first.environment }, []);
    return [...first.errors, ...r.output.split("\n").filter(Boolean)];
  }
  const outcomes = await upReloading(first, loaded, engines());
  return [...first.errors, ...outcomes.map((o) => `${o.name}: ${o.result}${o.detail ? `: ${o.detail}` : ""}`)];
}
