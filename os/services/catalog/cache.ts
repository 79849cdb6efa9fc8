// The last copy each remote repository (or definition URL) served, so a boot without network still
// finds the services it enabled. Each cache folder records the URL it came from: a repository whose
// url changed must not be served another server's files.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "../../atomic-write.ts";
import { paths } from "../../paths.ts";

const SOURCE_FILE = ".source";

export interface CacheSlot { dir: string; file: string; source: string }

/** A repository's file: `<cache>/<repo>/<path in the repository>`. */
export const repoSlot = (repo: string, rel: string, repoUrl: string): CacheSlot => ({ dir: join(paths.catalogCache, repo), file: join(paths.catalogCache, repo, rel), source: repoUrl });

/** A definition enabled by URL. The folder starts with a dot, which no repository name can. */
export function urlSlot(url: string): CacheSlot {
  const dir = join(paths.catalogCache, ".urls", createHash("sha256").update(url).digest("hex").slice(0, 16));
  return { dir, file: join(dir, "definition.yml"), source: url };
}

export function readCached(slot: CacheSlot): string | undefined {
  try {
    if (readFileSync(join(slot.dir, SOURCE_FILE), "utf8").trim() !== slot.source) return undefined;
    return readFileSync(slot.file, "utf8");
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written (read-only or full disk) costs only the offline copy. */
export function writeCached(slot: CacheSlot, text: string): string | undefined {
  try {
    const marker = join(slot.dir, SOURCE_FILE);
    if (!existsSync(marker) || readFileSync(marker, "utf8").trim() !== slot.source) {
      // Files cached from the old url would otherwise pass for the new url's.
      rmSync(slot.dir, { recursive: true, force: true });
      atomicWrite(marker, `${slot.source}\n`);
    }
    atomicWrite(slot.file, text);
    return undefined;
  } catch (e) {
    return `could not cache ${slot.source} in ${slot.file}: ${(e as Error).message}`;
  }
}
