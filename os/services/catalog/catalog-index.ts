// Every repository's index, and the names they offer merged into one list per kind.
import type { CloudConfig } from "../../../cloud-config/schema/index.ts";
import { CatalogError } from "./errors.ts";
import { parseIndex, type RepoIndex } from "./index-file.ts";
import { KINDS, type CatalogIndex } from "./kinds.ts";
import type { Repository } from "./repositories.ts";
import { Session, type CatalogOptions } from "./session.ts";

export type RepoListing = { repo: Repository; index: RepoIndex } | { repo: Repository; error: string };

/** Each repository's index, in repository order; one that cannot be read is an error there, and a warning. */
export function repoIndexes(session: Session): Promise<RepoListing[]> {
  return session.memo("indexes", () =>
    Promise.all(
      session.repos.map(async (repo): Promise<RepoListing> => {
        try {
          const { text, source } = await session.repoFile(repo, "index.yml");
          const { index, warnings } = parseIndex(text, source);
          for (const w of warnings) session.warn(w);
          return { repo, index };
        } catch (e) {
          if (!(e instanceof CatalogError)) throw e;
          session.warn(`repository ${repo.name} is skipped: ${e.message}`);
          return { repo, error: e.message };
        }
      }),
    ),
  );
}

/**
 * One list per kind, each name once: the first repository that lists a name provides it, and
 * `core` comes first, so a configured repository adds names but never silently replaces one the
 * image ships. Another repository's entry of the same name is still reachable as `repo/name`.
 */
export function mergeIndexes(listings: RepoListing[]): CatalogIndex {
  const merged: CatalogIndex = { services: [], consoles: [], engines: [] };
  for (const kind of KINDS) {
    const seen = new Set<string>();
    for (const l of listings) {
      if (!("index" in l)) continue;
      for (const name of l.index[kind]) {
        if (seen.has(name)) continue;
        seen.add(name);
        merged[kind].push({ name, repo: l.repo.name });
      }
    }
  }
  return merged;
}

export async function catalogIndex(config: CloudConfig, opts: CatalogOptions = {}): Promise<CatalogIndex> {
  return mergeIndexes(await repoIndexes(new Session(config, opts)));
}
