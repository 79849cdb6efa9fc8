// One entry, by catalog name, `repo/name`, URL or path, as the services it defines.
import type { CloudConfig, ServiceConfig } from "../../../cloud-config/schema/index.ts";
import { nearest } from "../../../cloud-config/suggest.ts";
import { repoIndexes, type RepoListing } from "./catalog-index.ts";
import { parseDefinition } from "./definition.ts";
import { CatalogError } from "./errors.ts";
import { KIND_WORD, KINDS, mainServiceOf, type Kind } from "./kinds.ts";
import { definitionPath } from "./names.ts";
import { parseReference } from "./reference.ts";
import { Session, type CatalogOptions, type SourceText } from "./session.ts";

export interface ResolvedEntry {
  name: string;
  /** The definition file's URL or path. */
  source: string;
  services: Record<string, ServiceConfig>;
}

const didYouMean = (name: string, candidates: string[]) => {
  const guess = nearest(name, candidates);
  return guess ? `; did you mean "${guess}"?` : "";
};

/** Why a name was not found, with what might explain it: a typo, another kind, an unreadable repository. */
function notFound(name: string, kind: Kind, listings: RepoListing[], only?: string): CatalogError {
  const searched = only ? listings.filter((l) => l.repo.name === only) : listings;
  const readable = searched.flatMap((l) => ("index" in l ? [l] : []));
  const where = only ? `repository ${only}` : `the catalogs (${searched.map((l) => l.repo.name).join(", ")})`;
  let message = `no ${KIND_WORD[kind]} "${name}" in ${where}${didYouMean(name, readable.flatMap((l) => l.index[kind]))}`;
  const other = KINDS.find((k) => k !== kind && readable.some((l) => l.index[k].includes(name)));
  if (other) message += ` ("${name}" is ${other === "engines" ? "an" : "a"} ${KIND_WORD[other]})`;
  const unread = searched.filter((l) => "error" in l).map((l) => l.repo.name);
  if (unread.length) message += ` (could not read ${unread.join(", ")}, which may list it)`;
  return new CatalogError(message);
}

async function fromCatalog(session: Session, name: string, kind: Kind, pinned?: string): Promise<SourceText> {
  const listings = await repoIndexes(session);
  if (pinned !== undefined && !listings.some((l) => l.repo.name === pinned)) {
    const names = listings.map((l) => l.repo.name);
    throw new CatalogError(`no repository "${pinned}" (the repositories are ${names.join(", ")})${didYouMean(pinned, names)}`);
  }
  const candidates = pinned === undefined ? listings : listings.filter((l) => l.repo.name === pinned);
  const hit = candidates.find((l) => "index" in l && l.index[kind].includes(name));
  if (!hit) {
    const failed = candidates.find((l) => "error" in l);
    if (pinned !== undefined && failed && "error" in failed) throw new CatalogError(failed.error);
    throw notFound(name, kind, listings, pinned);
  }
  return session.repoFile(hit.repo, definitionPath(name));
}

/** In a look-up already under way, so several entries share their fetches. */
export async function resolveIn(session: Session, ref: string, kind: Kind): Promise<ResolvedEntry> {
  const r = parseReference(ref);
  let file: SourceText;
  if (r.kind === "url") file = await session.definitionFile({ url: r.url });
  else if (r.kind === "path") file = await session.definitionFile({ path: r.path });
  else file = await fromCatalog(session, r.name, kind, r.kind === "pinned" ? r.repo : undefined);

  // A file named directly is the user's own: its services may be called anything, except that a
  // console or an engine must still provide the service it replaces.
  const fromRepo = r.kind === "catalog" || r.kind === "pinned";
  const service = mainServiceOf(kind, r.name);
  const main =
    kind === "consoles" ? { service, why: "a console replaces the `console` service, so its file must define it" }
    : kind === "engines" ? { service, why: "an engine replaces the `docker` service, so its file must define it" }
    : fromRepo ? { service, why: `a catalog entry's main service carries the entry's name, "${r.name}"` }
    : undefined;
  const def = parseDefinition(file.text, file.source, session.env, r.name, main);
  for (const w of def.warnings) session.warn(w);
  return { name: r.name, source: file.source, services: def.services };
}

export async function resolveEntry(config: CloudConfig, nameOrUrlOrPath: string, kind: Kind = "services", opts: CatalogOptions = {}): Promise<ResolvedEntry> {
  return resolveIn(new Session(config, opts), nameOrUrlOrPath, kind);
}
