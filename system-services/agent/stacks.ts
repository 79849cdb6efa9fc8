// rancher.stacks, deployed by the swarm's first manager (the node with rancher.agent.swarm.init):
// each stack from its file, catalog entry or inline Compose, through the same deploy as
// `ros stack deploy`, so a boot or an agent restart with the same config changes nothing. A stack
// that fails is reported with its reason and tried again at the next pass; the others still deploy.
import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { stringify } from "yaml";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { hostPath } from "../../os/paths.ts";
import { catalogCompose, catalogStack } from "../../os/stack/catalog.ts";
import type { ComposeFile } from "../../os/stack/compose-schema.ts";
import { deployStack, type Change } from "../../os/stack/deploy.ts";
import { parseStack } from "../../os/stack/load.ts";
import { stackPlan } from "../../os/stack/specs.ts";

type StackConfig = NonNullable<NonNullable<CloudConfig["rancher"]>["stacks"]>[string];

async function composeOf(config: CloudConfig, name: string, s: StackConfig): Promise<ComposeFile> {
  const vars = Object.fromEntries(Object.entries({ ...config.rancher?.environment, ...s.vars }).map(([k, v]) => [k, v === null ? "" : String(v)]));
  if (s.file) return parseStack(readFileSync(hostPath(s.file)), s.file, vars);
  if (s.catalog) return catalogCompose(await catalogStack(config, s.catalog, { preferCache: true }), Object.fromEntries(Object.entries(s.vars ?? {}).map(([k, v]) => [k, String(v)])));
  return parseStack(stringify(s.compose), `rancher.stacks.${name}.compose`, vars);
}

const summary = (changes: Change[]) => {
  const n = (a: Change["action"]) => changes.filter((c) => c.action === a).length;
  return `deployed (${n("created")} created, ${n("updated")} updated, ${n("unchanged")} unchanged)`;
};

/** Each configured stack's outcome: "deployed (…)" or "error: …". A deploy that changed something is
 * also logged, since the next pass reports the same stack as unchanged. */
export async function deployConfiguredStacks(docker: Docker, config: CloudConfig, log: (m: string) => void): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(config.rancher?.stacks ?? {})) {
    try {
      const changes = await deployStack(docker, stackPlan(name, await composeOf(config, name, s)));
      out[name] = summary(changes);
      if (changes.some((c) => c.action !== "unchanged")) log(`stack ${name}: ${out[name]}`);
    } catch (e) {
      out[name] = `error: ${(e as Error).message.replace(/\n/g, "; ")}`;
    }
  }
  return out;
}
