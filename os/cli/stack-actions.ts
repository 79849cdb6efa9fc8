// What `ros stack …` does and prints.
import Docker from "dockerode";
import { dockerMessage } from "../../system-services/agent/swarm.ts";
import { paths } from "../paths.ts";
import { deployStack, listStacks, removeStack, scaleService, stackTasks, type Change } from "../stack/deploy.ts";
import { loadStack, StackFileError } from "../stack/load.ts";
import { loadConfig } from "../../cloud-config/load.ts";
import { CatalogError } from "../services/catalog/errors.ts";
import { catalogCompose, catalogStack, catalogStacks } from "../stack/catalog.ts";
import { stackPlan } from "../stack/specs.ts";
import { confirmUpgrade, rollbackUpgrade, UpgradeError, upgradeService } from "../stack/upgrade.ts";
import { fail, say, warn } from "./output.ts";

const userDocker = () => new Docker({ socketPath: paths.userDockerSocket });

/** `NAME=VALUE` pairs as a map; a pair without `=` is refused. */
export function parseVars(pairs: string[], what: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf("=");
    if (at < 1) fail([`${what}: ${JSON.stringify(p)} is not NAME=VALUE`]);
    vars[p.slice(0, at)] = p.slice(at + 1);
  }
  return vars;
}

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) say(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd());
};
const report = (changes: Change[]) => { for (const c of changes) say(`${c.kind} ${c.name}: ${c.action}`); };

async function withDocker<T>(what: string, fn: (d: Docker) => Promise<T>): Promise<T> {
  try {
    return await fn(userDocker());
  } catch (e) {
    if (e instanceof StackFileError) return fail([`${what}: refused, nothing was deployed:`, e.message]);
    if (e instanceof UpgradeError || e instanceof CatalogError) return fail([`${what}: ${e.message}`]);
    return fail([`${what}: ${dockerMessage(e)}`]);
  }
}

export async function deploy(stack: string, o: { composeFile: string; var: string[]; prune?: boolean }): Promise<void> {
  const vars = { ...(process.env as Record<string, string>), ...parseVars(o.var, "ros stack deploy --var") };
  await withDocker("ros stack deploy", async (d) => report(await deployStack(d, stackPlan(stack, loadStack(o.composeFile, vars)), o)));
}

export const ls = () => withDocker("ros stack ls", async (d) => table([["NAME", "SERVICES"], ...(await listStacks(d)).map((s) => [s.name, String(s.services)])]));

export const ps = (stack: string) => withDocker("ros stack ps", async (d) => {
  const rows = await stackTasks(d, stack);
  if (rows.length === 0) fail([`ros stack ps: no stack ${stack} (ros stack ls lists them)`]);
  table([["ID", "NAME", "IMAGE", "NODE", "DESIRED", "CURRENT", "ERROR"], ...rows.map((t) => [t.id, t.name, t.image, t.node, t.desired, t.current, t.error])]);
});

export const rm = (stack: string) => withDocker("ros stack rm", async (d) => {
  const changes = await removeStack(d, stack);
  if (changes.length === 0) fail([`ros stack rm: no stack ${stack} (ros stack ls lists them)`]);
  report(changes);
});

export const scale = (pairs: string[]) => withDocker("ros stack scale", async (d) => {
  for (const [name, n] of Object.entries(parseVars(pairs, "ros stack scale"))) {
    if (!/^\d+$/.test(n)) fail([`ros stack scale: ${name}=${n}: replicas must be a whole number`]);
    await scaleService(d, name, Number(n));
    say(`${name} scaled to ${n}`);
  }
});

export const upgrade = (service: string, o: { image?: string; confirm?: boolean; rollback?: boolean; timeout: string; watch: string }) => withDocker("ros stack upgrade", async (d) => {
  const seconds = (v: string, flag: string) => (/^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : fail([`ros stack upgrade: ${flag} ${v}: a number of seconds`]));
  const opts = { timeoutMs: seconds(o.timeout, "--timeout"), settleMs: seconds(o.watch, "--watch"), watchMs: seconds(o.watch, "--watch"), progress: say };
  if ([o.image !== undefined, o.confirm, o.rollback].filter(Boolean).length !== 1) fail(["ros stack upgrade: give one of --image IMAGE, --confirm or --rollback"]);
  if (o.confirm) {
    await confirmUpgrade(d, service, opts);
    say(`${service}: upgrade confirmed; the clone is removed`);
    return;
  }
  if (o.rollback) {
    await rollbackUpgrade(d, service);
    say(`${service}: rolled back; the traffic is on the old version again and the clone is removed`);
    return;
  }
  const r = await upgradeService(d, service, o.image!, opts);
  if (!r.switched) fail([`ros stack upgrade: ${service}: the new version failed its checks (${r.why}); rolled back, ${service} still serves`]);
  else say(`${service}: traffic switched to ${r.clone}; the old version stands by: ros stack upgrade ${service} --confirm (or --rollback)`);
});

export const catalogList = (o: { update?: boolean }) => withDocker("ros stack catalog list", async () => {
  const entries = await catalogStacks(loadConfig().config, { warn, preferCache: !o.update });
  table([["NAME", "REPOSITORY"], ...entries.map((e) => [e.name, e.repo])]);
});

export const catalogShow = (name: string) => withDocker("ros stack catalog show", async () => {
  const e = await catalogStack(loadConfig().config, name, { warn, preferCache: true });
  say(`stack ${e.name} (repository ${e.repo}, ${e.source})${e.description ? `: ${e.description}` : ""}`);
  const vars = Object.entries(e.variables);
  say(vars.length ? "variables:" : "variables: none");
  for (const [k, v] of vars) say(`  ${k}${v.default === undefined ? " (required)" : ` = ${v.default}`}${v.description ? `  ${v.description}` : ""}`);
  say("");
  process.stdout.write(e.text.endsWith("\n") ? e.text : `${e.text}\n`);
});

export const catalogDeploy = (name: string, o: { var: string[]; as?: string }) => withDocker("ros stack catalog deploy", async (d) => {
  const e = await catalogStack(loadConfig().config, name, { warn, preferCache: true });
  report(await deployStack(d, stackPlan(o.as ?? e.name, catalogCompose(e, parseVars(o.var, "ros stack catalog deploy --var")))));
});
