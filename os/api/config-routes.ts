// /config: the merged config (secrets masked unless asked), validation of a file or user data, and
// changes to cloud-config.yml applied now, at the next boot, or on trial.
import { checkInput } from "../../cloud-config/check.ts";
import { errorsIn, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { ConfigEditError, leaves, setValues } from "../../cloud-config/edit.ts";
import { splitKey } from "../../cloud-config/keypath.ts";
import { loadConfig } from "../../cloud-config/load.ts";
import { pendingNextBoot, stageNextBoot } from "../../cloud-config/next-boot.ts";
import type { Path } from "../../cloud-config/parse.ts";
import { maskSecrets } from "../../cloud-config/secrets.ts";
import { getPath } from "../../cloud-config/tree.ts";
import { validateText } from "../../cloud-config/validate.ts";
import { paths } from "../paths.ts";
import { ApiError, type Route } from "./route.ts";
import type { Trials } from "./try-revert.ts";

const DEFAULT_TRY_S = 120;
const MAX_TRY_S = 24 * 3600;

interface Patch { mode?: "now" | "next-boot" | "try"; config?: unknown; timeout?: number }

const shown = (d: Diagnostic) => ({ ...d, text: formatDiagnostic(d) });

/** A JSON merge patch as key changes: null removes a key. It must be a valid config on its own. */
function changesOf(patch: unknown): [Path, unknown][] {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) throw new ApiError(400, '"config" must be a map of the keys to change, like {"rancher": {"ssh": {"port": 2222}}}');
  const changes = leaves(patch).map(([p, v]): [Path, unknown] => [p, v === null ? undefined : v]);
  const v = validateText(JSON.stringify(patch, (_, x: unknown) => (x === null ? undefined : x)), "request");
  const errors = errorsIn(v.diagnostics);
  if (errors.length) throw new ApiError(422, "the change has errors; nothing was changed", errors.map(shown));
  if (!changes.length) throw new ApiError(400, "the change names no key");
  return changes;
}

/** Writes the changes to cloud-config.yml; a change that adds an error is refused whole. */
function write(changes: [Path, unknown][]): void {
  let refused: Diagnostic[];
  try {
    refused = setValues(paths.cloudConfig, changes);
  } catch (e) {
    if (e instanceof ConfigEditError) throw new ApiError(409, e.message);
    throw e;
  }
  if (refused.length) throw new ApiError(422, "refused, nothing was changed", refused.map(shown));
}

export function configRoutes(trials: Trials, apply: () => Promise<string[]>): Route[] {
  return [
    {
      method: "GET",
      path: "/config",
      summary: "The merged config, or one key of it (secrets masked unless private=true)",
      params: [
        { name: "key", in: "query", type: "string", description: "a dotted key like rancher.ssh.port; the whole config when absent" },
        { name: "private", in: "query", type: "boolean", description: "show secrets (tokens, keys) unmasked" },
      ],
      handler: async ({ query }) => {
        const { config, diagnostics } = loadConfig();
        const all = query.get("private") === "true" ? config : maskSecrets(config);
        const k = query.get("key");
        let value: unknown = all;
        if (k) {
          try {
            value = getPath(all, splitKey(k));
          } catch (e) {
            throw new ApiError(400, (e as Error).message);
          }
          if (value === undefined) throw new ApiError(404, `${k} is not set`);
        }
        return { body: { value, errors: errorsIn(diagnostics).length } };
      },
    },
    {
      method: "POST",
      path: "/config/validate",
      summary: "Check a config file or user data (#cloud-config, scripts, MIME, gzip) the way the boot would read it",
      requestBody: { type: "application/yaml", description: "the file's bytes" },
      handler: async ({ body }) => {
        const ds = await checkInput(await body(), "request");
        return { body: { valid: errorsIn(ds).length === 0, diagnostics: ds.map(shown) } };
      },
    },
    {
      method: "PATCH",
      path: "/config",
      summary: "Change cloud-config.yml: now (services brought up to it), next-boot (written at the next boot), or try (reverted unless confirmed within timeout seconds)",
      requestBody: { type: "application/json", description: '{"mode": "now"|"next-boot"|"try", "config": {a merge patch; null removes a key}, "timeout": seconds for try (default 120)}' },
      handler: async ({ json }) => {
        const p = await json<Patch>();
        const mode = p.mode ?? "now";
        if (!["now", "next-boot", "try"].includes(mode)) throw new ApiError(400, `mode must be now, next-boot or try, not ${JSON.stringify(mode)}`);
        const changes = changesOf(p.config);
        const pending = trials.current();
        if (pending && mode !== "next-boot") throw new ApiError(409, `a trial is running until ${pending.deadline}: confirm it (POST /config/try/confirm) or revert it (POST /config/try/revert) first`, { try: pending.id });
        if (mode === "next-boot") return { body: { mode, pending: stageNextBoot(changes).length } };
        if (mode === "now") {
          write(changes);
          return { body: { mode, applied: await apply() } };
        }
        const timeout = p.timeout ?? DEFAULT_TRY_S;
        if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TRY_S) throw new ApiError(400, `timeout must be a whole number of seconds from 1 to ${MAX_TRY_S}`);
        const t = trials.begin(timeout, () => write(changes));
        return { body: { mode, try: t.id, deadline: t.deadline, applied: await apply() } };
      },
    },
    {
      method: "GET",
      path: "/config/try",
      summary: "The running trial (its id and deadline), and the changes waiting for the next boot",
      handler: async () => {
        const t = trials.current();
        return { body: { try: t ? { id: t.id, deadline: t.deadline } : null, nextBoot: pendingNextBoot().length } };
      },
    },
    {
      method: "POST",
      path: "/config/try/confirm",
      summary: "Keep the running trial's change",
      params: [{ name: "id", in: "query", type: "string", description: "the trial's id, so a newer trial is not confirmed by mistake" }],
      handler: async ({ query }) => {
        if (!trials.confirm(query.get("id") ?? undefined)) throw new ApiError(409, "no such trial is running (it was reverted, confirmed, or never started)");
        return { body: { confirmed: true } };
      },
    },
    {
      method: "POST",
      path: "/config/try/revert",
      summary: "Undo the running trial's change now",
      handler: async () => {
        const t = await trials.revert();
        if (!t) throw new ApiError(409, "no trial is running");
        return { body: { reverted: t.id } };
      },
    },
  ];
}
