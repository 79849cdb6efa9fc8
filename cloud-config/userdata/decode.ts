// Decodes user data in every format cloud-init users write — #cloud-config, #! scripts, gzip,
// MIME multipart (as `cloud-init devel make-mime` writes it), #include / #include-once,
// #cloud-config-archive — into the cloud-config documents and scripts Corral acts on. Formats are
// told by content, never by file name. Nothing here throws on bad input: every problem becomes a
// diagnostic naming the source, a line and column, what is wrong and what to do, and whatever else
// was readable still applies. Every dimension is bounded (see limits.ts). The YAML of cloud-config
// documents is not parsed here.
import { diag, type Diagnostic } from "../diagnostics.ts";
import { ByteBudget } from "./byte-budget.ts";
import { fetchUrl } from "./fetch-url.ts";
import { IncludeDeadline } from "./include-deadline.ts";
import { DEFAULT_INCLUDE_BUDGET_MS, DEFAULT_MAX_BYTES, MAX_INCLUDES, MAX_PARTS, formatBytes } from "./limits.ts";
import { decodeBytes } from "./walk.ts";
import type { Walk } from "./walk-context.ts";

/** The text of one #cloud-config document, exactly as the user wrote it (header line kept). */
export interface CloudConfigPart {
  source: string;
  text: string;
}

/** One `#!` script, exactly as the user wrote it. */
export interface ScriptPart {
  source: string;
  text: string;
}

export interface DecodedUserData {
  /** In the order they appear in the user data (includes expanded in place). */
  cloudConfigs: CloudConfigPart[];
  scripts: ScriptPart[];
  diagnostics: Diagnostic[];
}

export interface DecodeOptions {
  /** Fetches one #include URL; by default http(s) through the platform fetch, size-bounded. */
  fetchInclude?: (url: string, signal: AbortSignal) => Promise<Buffer>;
  /** Time all #include fetches share; default 10 s. */
  includeBudgetMs?: number;
  /** Bytes read in total: the user data plus everything gunzipped or fetched; default 16 MiB. */
  maxBytes?: number;
}

/**
 * Decodes `data` read from `source` (e.g. "nocloud:/dev/vdb:/user-data"). Parts of containers are
 * named after it: `${source}#part2`, `${source}#part2(filename)`, nested `${source}#part2#part1`;
 * content fetched by #include is named by its URL.
 */
export async function decodeUserData(data: Buffer, source: string, opts: DecodeOptions = {}): Promise<DecodedUserData> {
  const out: DecodedUserData = { cloudConfigs: [], scripts: [], diagnostics: [] };
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = new ByteBudget(maxBytes);
  if (!bytes.take(data.length)) {
    out.diagnostics.push(
      diag("error", source, 1, 1, `user data is ${data.length} bytes, more than the ${formatBytes(maxBytes)} Corral reads; it was ignored`, "shrink it: large files belong on a server that a script or #include fetches them from"),
    );
    return out;
  }
  const custom = opts.fetchInclude;
  const deadline = new IncludeDeadline(opts.includeBudgetMs ?? DEFAULT_INCLUDE_BUDGET_MS);
  const w: Walk = {
    out,
    maxBytes,
    bytes,
    partsLeft: MAX_PARTS,
    includesLeft: MAX_INCLUDES,
    deadline,
    fetch: custom
      ? async (url, signal) => {
          const body = await custom(url, signal);
          if (!bytes.take(body.length)) throw new Error(`the response is larger than the ${bytes.left} bytes of user data still allowed`);
          return body;
        }
      : (url, signal) => fetchUrl(url, signal, bytes),
  };
  try {
    await decodeBytes(w, data, source, 0);
  } catch (e) {
    // A bug here must not cost the host its boot: report it like any other problem.
    out.diagnostics.push(diag("error", source, 1, 1, `user data could not be decoded: ${e instanceof Error ? e.message : String(e)}`, "this is a Corral bug; please report it with the user data"));
  } finally {
    deadline.dispose();
  }
  return out;
}
