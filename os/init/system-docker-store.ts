// On an installed host the system Docker's data root is on the state partition, so its containers
// and volumes persist. The images each version runs with come in the initrd's own data root; they are
// merged into the persistent one once per version (everything in the store is content-addressed, so
// what is there already is kept, and only the tag list is merged), then dropped from RAM.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../exec.ts";

/** Docker's tag list: the one file in the store that both sides may hold different versions of. */
const REPOSITORIES = join("image", "overlay2", "repositories.json");
/** A layer per chain ID (content-addressed), naming its folder under overlay2/ (a random cache ID). */
const LAYERDB = join("image", "overlay2", "layerdb", "sha256");
const STAMP = ".corral-images";

type Repositories = { Repositories?: Record<string, Record<string, string>> };

const readRepos = (file: string): Repositories => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Repositories) : {});

/** The tags of both, the incoming one winning on the same tag. */
export function mergeRepositories(kept: Repositories, incoming: Repositories): Repositories {
  const out: Record<string, Record<string, string>> = { ...kept.Repositories };
  for (const [repo, tags] of Object.entries(incoming.Repositories ?? {})) out[repo] = { ...out[repo], ...tags };
  return { ...kept, Repositories: out };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Whole or not at all: a copy cut short by a power cut is redone, never taken as complete. */
async function copyWhole(src: string, dst: string, fix?: (copy: string) => void): Promise<void> {
  if (existsSync(dst)) return;
  mkdirSync(dirname(dst), { recursive: true });
  rmSync(`${dst}.part`, { recursive: true, force: true });
  await run("cp", ["-a", src, `${dst}.part`]);
  fix?.(`${dst}.part`);
  renameSync(`${dst}.part`, dst);
}

const shortLink = (store: string, cacheId: string): string => {
  const f = join(store, "overlay2", cacheId, "link");
  return existsSync(f) ? readFileSync(f, "utf8").trim() : "";
};
const cacheIdOf = (store: string, chain: string) => readFileSync(join(store, LAYERDB, chain, "cache-id"), "utf8").trim();

/**
 * A layer's `lower` file names the layers under it by their short links ("l/ABC:l/DEF"). A layer the
 * store had already keeps its own folder and link, so a new layer on top of it is pointed there.
 */
function repointLower(layer: string, links: Map<string, string>): void {
  const f = join(layer, "lower");
  if (!existsSync(f)) return;
  const lower = readFileSync(f, "utf8").trim().split(":").map((l) => `l/${links.get(l.replace(/^l\//, "")) ?? l.replace(/^l\//, "")}`);
  writeFileSync(f, lower.join(":"));
}

/**
 * The layers `to` lacks, each with its folder and short link under overlay2/, the layer's record
 * last (so a record always names a complete folder). A layer `to` has already keeps its own folder:
 * the same content under the initrd's cache ID is not copied again.
 */
async function mergeLayers(from: string, to: string): Promise<number> {
  const chains = existsSync(join(from, LAYERDB)) ? readdirSync(join(from, LAYERDB)) : [];
  // The initrd's short link of each layer the store has already → the store's own.
  const links = new Map<string, string>();
  for (const chain of chains) if (existsSync(join(to, LAYERDB, chain))) links.set(shortLink(from, cacheIdOf(from, chain)), shortLink(to, cacheIdOf(to, chain)));
  let copied = 0;
  for (const chain of chains) {
    if (existsSync(join(to, LAYERDB, chain))) continue;
    const cacheId = cacheIdOf(from, chain);
    await copyWhole(join(from, "overlay2", cacheId), join(to, "overlay2", cacheId), (copy) => repointLower(copy, links));
    const short = shortLink(from, cacheId);
    if (short && !isLink(join(to, "overlay2", "l", short))) {
      mkdirSync(join(to, "overlay2", "l"), { recursive: true });
      symlinkSync(readlinkSync(join(from, "overlay2", "l", short)), join(to, "overlay2", "l", short));
    }
    await copyWhole(join(from, LAYERDB, chain), join(to, LAYERDB, chain));
    copied++;
  }
  return copied;
}

/** Copies what `to` lacks of the rest (image configs, metadata), descending where both hold a folder. */
async function mergeTree(from: string, to: string, skip: (rel: string) => boolean, rel = ""): Promise<number> {
  let copied = 0;
  for (const name of readdirSync(join(from, rel))) {
    const r = join(rel, name);
    if (skip(r)) continue;
    const src = join(from, r);
    const dst = join(to, r);
    const st = lstatSync(src);
    if (existsSync(dst) || isLink(dst)) {
      if (st.isDirectory() && lstatSync(dst).isDirectory()) copied += await mergeTree(from, to, skip, r);
      continue;
    }
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isDirectory()) await copyWhole(src, dst);
    else {
      copyFileSync(src, `${dst}.part`);
      renameSync(`${dst}.part`, dst);
    }
    copied++;
  }
  return copied;
}

/**
 * Merges the initrd's store (`from`) into the persistent one (`to`) unless `version` has been merged
 * already, then empties `from` to give its RAM back. Returns how many entries were copied.
 */
export async function seedStore(from: string, to: string, version: string): Promise<number> {
  mkdirSync(to, { recursive: true });
  const stamp = join(to, STAMP);
  let copied = 0;
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== version) {
    copied = await mergeLayers(from, to);
    copied += await mergeTree(from, to, (rel) => rel === REPOSITORIES || rel === LAYERDB || rel === "overlay2");
    const merged = mergeRepositories(readRepos(join(to, REPOSITORIES)), readRepos(join(from, REPOSITORIES)));
    mkdirSync(dirname(join(to, REPOSITORIES)), { recursive: true });
    writeFileSync(join(to, REPOSITORIES), JSON.stringify(merged));
    await run("sync", []);
    writeFileSync(stamp, version);
  }
  for (const e of readdirSync(from)) rmSync(join(from, e), { recursive: true, force: true });
  return copied;
}
