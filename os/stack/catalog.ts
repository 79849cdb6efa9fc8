// The stack catalog: repositories (rancher.repositories, after the image's own `core`) list stacks
// in index.yml `stacks:`; each is `stacks/NAME.yml`, a Compose file whose `x-variables:` declares
// the `${VARS}` it takes (a description, a default; one without a default must be given) and whose
// `x-description:` says what it is. The first repository listing a name provides it; `repo/name`
// picks another.
import { z } from "zod";
import { formatDiagnostic } from "../../cloud-config/diagnostics.ts";
import { parseConfig } from "../../cloud-config/parse.ts";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { nearest } from "../../cloud-config/suggest.ts";
import { isMapValue } from "../../cloud-config/tree.ts";
import { repoIndexes } from "../services/catalog/catalog-index.ts";
import { CatalogError } from "../services/catalog/errors.ts";
import { Session, type CatalogOptions } from "../services/catalog/session.ts";
import type { ComposeFile } from "./compose-schema.ts";
import { parseStack } from "./load.ts";

export interface StackEntry { name: string; repo: string }
export interface StackVariable { description?: string; default?: string }
export interface CatalogStack { name: string; repo: string; source: string; text: string; description?: string; variables: Record<string, StackVariable> }

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const variables = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name of letters, digits and _"), z.union([z.null().transform(() => ({})), z.strictObject({ description: z.string().optional(), default: scalar.optional() })]));

export async function catalogStacks(config: CloudConfig, opts: CatalogOptions = {}): Promise<StackEntry[]> {
  const seen = new Set<string>();
  const out: StackEntry[] = [];
  for (const l of await repoIndexes(new Session(config, opts))) {
    if (!("index" in l)) continue;
    for (const name of l.index.stacks) if (!seen.has(name)) (seen.add(name), out.push({ name, repo: l.repo.name }));
  }
  return out;
}

/** One entry, `name` or `repo/name`, with its variables. */
export async function catalogStack(config: CloudConfig, ref: string, opts: CatalogOptions = {}): Promise<CatalogStack> {
  const session = new Session(config, opts);
  const [repoName, name] = ref.includes("/") ? ref.split("/", 2) as [string, string] : [undefined, ref];
  const listings = await repoIndexes(session);
  const hit = listings.find((l) => "index" in l && (repoName === undefined || l.repo.name === repoName) && l.index.stacks.includes(name));
  if (!hit) {
    const all = listings.flatMap((l) => ("index" in l ? l.index.stacks : []));
    const near = nearest(name, all);
    throw new CatalogError(`no stack ${JSON.stringify(ref)} in the catalog${near ? ` (did you mean ${near}?)` : ""}`, ["ros stack catalog list shows what the repositories offer"]);
  }
  const { text, source } = await session.repoFile(hit.repo, `stacks/${name}.yml`);
  const parsed = parseConfig(text, source);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new CatalogError(`the stack ${source} is not valid`, errors.map(formatDiagnostic));
  const value = isMapValue(parsed.value) ? parsed.value : {};
  const vars = variables.safeParse(value["x-variables"] ?? {});
  if (!vars.success) {
    const issue = vars.error.issues[0]!;
    const { line, col } = parsed.locate(["x-variables", ...(issue.path as (string | number)[])]);
    throw new CatalogError(`the stack ${source} is not valid`, [`${source}:${line}:${col}: x-variables: ${issue.message}`]);
  }
  const description = typeof value["x-description"] === "string" ? value["x-description"] : undefined;
  return { name, repo: hit.repo.name, source, text, description, variables: vars.data };
}

/** The values the file is filled with: each default, then what was given; a refusal names what is wrong. */
export function stackValues(entry: CatalogStack, given: Record<string, string>): Record<string, string> {
  const unknown = Object.keys(given).filter((k) => !(k in entry.variables));
  if (unknown.length) {
    const known = Object.keys(entry.variables);
    throw new CatalogError(`stack ${entry.name} has no variable ${unknown.join(", ")}`, [known.length ? `its variables: ${known.join(", ")}${nearest(unknown[0]!, known) ? ` (did you mean ${nearest(unknown[0]!, known)}?)` : ""}` : "it takes no variables"]);
  }
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry.variables)) if (v.default !== undefined) values[k] = v.default;
  Object.assign(values, given);
  const missing = Object.keys(entry.variables).filter((k) => values[k] === undefined);
  if (missing.length) throw new CatalogError(`stack ${entry.name} needs a value for ${missing.join(", ")}`, [missing.map((k) => `--var ${k}=…${entry.variables[k]!.description ? ` (${entry.variables[k]!.description})` : ""}`).join(" ")]);
  return values;
}

export const catalogCompose = (entry: CatalogStack, given: Record<string, string>): ComposeFile => parseStack(entry.text, entry.source, stackValues(entry, given));
