// One catalog look-up (a listing, one entry, every included entry): the repositories and variables
// of one config, and each file read at most once, so resolving many entries fetches each index once
// and a repository found unreachable is not waited for again.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CloudConfig } from "../../../cloud-config/schema/index.ts";
import { MAX_CONFIG_BYTES } from "../../../cloud-config/parse.ts";
import { log } from "../../log.ts";
import { VERSION } from "../../version.ts";
import { readCached, repoSlot, urlSlot, writeCached, type CacheSlot } from "./cache.ts";
import { CatalogError, tooBig } from "./errors.ts";
import { fetchText, REQUEST_TIMEOUT_MS, Unreachable } from "./fetch-remote.ts";
import { repositories, type Repository } from "./repositories.ts";

export interface CatalogOptions {
  /** Where warnings go (a cached copy used, a repository skipped); the boot log by default. */
  warn?: (message: string) => void;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** Use a cached copy when there is one instead of asking the server (quick listings). */
  preferCache?: boolean;
}

/** A file's text and what to call it in messages: its URL, or its path. */
export interface SourceText { text: string; source: string }

export class Session {
  readonly repos: Repository[];
  /** What `${VAR}` in a definition reads. */
  readonly env: Record<string, string>;
  private readonly warnFn: (message: string) => void;
  private readonly timeoutMs: number;
  private readonly preferCache: boolean;
  private readonly warned = new Set<string>();
  private readonly memos = new Map<string, Promise<unknown>>();
  /** Why a remote repository (or URL) could not be reached, by repository name or URL. */
  private readonly unreachable = new Map<string, string>();

  constructor(config: CloudConfig, opts: CatalogOptions = {}) {
    this.warnFn = opts.warn ?? ((m) => log("catalog", `warning: ${m}`));
    this.timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.preferCache = opts.preferCache ?? false;
    const { repos, warnings } = repositories(config);
    this.repos = repos;
    for (const w of warnings) this.warn(w);
    // The builtin comes first so rancher.environment can override it, as RancherOS's own config did.
    this.env = { VERSION };
    for (const [k, v] of Object.entries(config.rancher?.environment ?? {})) this.env[k] = v === null ? "" : String(v);
  }

  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnFn(message);
  }

  /** `fn` once per key for this look-up; callers share the promise (and its failure). */
  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) this.memos.set(key, (p = fn()));
    return p;
  }

  /** A file at `rel` inside a repository. */
  repoFile(repo: Repository, rel: string): Promise<SourceText> {
    if (!repo.remote) {
      const file = join(repo.dir, rel);
      return this.memo(`file:${file}`, async () => ({ text: readLocal(file), source: file }));
    }
    const url = `${repo.url}/${rel}`;
    const hint = `check the network and rancher.repositories.${repo.name}.url`;
    return this.memo(`url:${url}`, async () => ({ text: await this.remote(url, repo.name, repoSlot(repo.name, rel, repo.url), hint), source: url }));
  }

  /** A definition file named directly by URL or path. */
  definitionFile(where: { url: string } | { path: string }): Promise<SourceText> {
    if ("path" in where) return this.memo(`file:${where.path}`, async () => ({ text: readLocal(where.path), source: where.path }));
    const { url } = where;
    return this.memo(`url:${url}`, async () => ({ text: await this.remote(url, url, urlSlot(url), "check the network and the URL"), source: url }));
  }

  /** The server's copy, cached; the cached copy when the server cannot be reached. */
  private async remote(url: string, host: string, slot: CacheSlot, hint: string): Promise<string> {
    const early = this.preferCache ? readCached(slot) : undefined;
    if (early !== undefined) return early;
    if (!this.unreachable.has(host)) {
      try {
        const text = await fetchText(url, this.timeoutMs);
        const failed = writeCached(slot, text);
        if (failed) this.warn(failed);
        return text;
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
        this.unreachable.set(host, e.message);
      }
    }
    const why = this.unreachable.get(host)!;
    const cached = readCached(slot);
    if (cached === undefined) throw new CatalogError(`${url} cannot be reached (${why}) and was never cached: ${hint}, then try again`);
    this.warn(`${url} cannot be reached (${why}); using the copy cached in ${slot.file}`);
    return cached;
  }
}

function readLocal(file: string): string {
  try {
    const { size } = statSync(file);
    if (size > MAX_CONFIG_BYTES) throw tooBig(file);
    return readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof CatalogError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new CatalogError(`${file} does not exist`);
    throw new CatalogError(`cannot read ${file}: ${(e as Error).message}${code === "EACCES" ? " (run this as root, with sudo)" : ""}`);
  }
}
