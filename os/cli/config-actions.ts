// What `ros config …` does, loaded only when such a command runs. Reads show the merged result of
// every layer; writes go to /var/lib/rancher/conf/cloud-config.yml.
import { readFileSync, statSync } from "node:fs";
import { parse, stringify } from "yaml";
import { checkInput } from "../../cloud-config/check.ts";
import { diag, errorsIn, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { ConfigEditError, leaves, setValues } from "../../cloud-config/edit.ts";
import { splitKey } from "../../cloud-config/keypath.ts";
import { loadConfig, loadLayers } from "../../cloud-config/load.ts";
import { MAX_CONFIG_BYTES } from "../../cloud-config/parse.ts";
import { maskSecrets } from "../../cloud-config/secrets.ts";
import { getPath } from "../../cloud-config/tree.ts";
import { DEFAULT_MAX_BYTES, formatBytes } from "../../cloud-config/userdata/limits.ts";
import { validateText } from "../../cloud-config/validate.ts";
import { atomicWrite } from "../atomic-write.ts";
import { paths } from "../paths.ts";
import { fail } from "./output.ts";

/** The most a file or stdin given to validate or merge may hold: what the boot reads of user data (gzip and MIME hold more than one config). */
const MAX_INPUT = DEFAULT_MAX_BYTES;

function readInput(file: string | undefined): { data: Buffer; name: string } {
  const name = file ?? "stdin";
  let data: Buffer | undefined;
  let size: number;
  try {
    // A file's size is known before it is read: one too large is refused without reading it into memory.
    size = file === undefined ? 0 : statSync(file).size;
    if (size <= MAX_INPUT) size = (data = readFileSync(file ?? 0)).length;
  } catch (e) {
    return fail([`${name}: ${(e as Error).message}`]);
  }
  if (data === undefined || size > MAX_INPUT) {
    return fail([formatDiagnostic(diag("error", name, 1, 1, `${name} is ${size} bytes, more than the ${formatBytes(MAX_INPUT)} Corral reads`, `a config file holds at most ${formatBytes(MAX_CONFIG_BYTES)}; keep large content in files the config points to`))]);
  }
  return { data, name };
}

function print(value: unknown, format: string): void {
  if (value === undefined) return;
  if (format === "json") process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (value === null || typeof value !== "object") process.stdout.write(`${String(value)}\n`);
  else process.stdout.write(stringify(value, { version: "1.1" }));
}

/** A quiet note when the config has errors, so reads never hide that something was dropped. */
function noteErrors(ds: Diagnostic[]): void {
  const n = errorsIn(ds).length;
  if (n > 0) process.stderr.write(`ros: the config has ${n} error(s), ignored where they are; \`ros config validate\` lists them\n`);
}

/** An error about a change that was not made: its hint without the "until fixed" part. */
function refusal(d: Diagnostic): string {
  const hint = d.hint?.replace(/[;.]? ?until fixed.*$/is, "");
  return `  ${d.message}${hint ? ` (${hint})` : ""}`;
}

function applyEdit(what: string, changes: [(string | number)[], unknown][]): void {
  try {
    const added = setValues(paths.cloudConfig, changes);
    if (added.length) fail([`ros config ${what}: refused, nothing was changed:`, ...added.map(refusal)]);
  } catch (e) {
    if (e instanceof ConfigEditError) fail([e.message]);
    throw e;
  }
}

const key = (k: string) => {
  try {
    return splitKey(k);
  } catch (e) {
    return fail([(e as Error).message]);
  }
};

export function get(k: string, o: { output: string }): void {
  const { config, diagnostics } = loadConfig();
  noteErrors(diagnostics);
  print(getPath(config, key(k)), o.output);
}

export function set(k: string, v: string): void {
  let value: unknown;
  try {
    value = parse(v, { version: "1.1", maxAliasCount: 10 });
  } catch (e) {
    fail([`ros config set: VALUE is not YAML: ${(e as Error).message.split("\n")[0]}`]);
  }
  applyEdit("set", [[key(k), value ?? ""]]);
}

export function merge(o: { input?: string }): void {
  const { data, name } = readInput(o.input);
  const v = validateText(data, name);
  if (v.config === undefined || errorsIn(v.diagnostics).length) fail([...v.diagnostics.map(formatDiagnostic), `ros config merge: ${name} has errors; nothing was merged`]);
  const changes = leaves(v.config);
  // Nothing to merge (an empty document, empty maps): leave the file as it is.
  if (changes.length > 0) applyEdit("merge", changes);
}

export function exportConfig(o: { private?: boolean; full?: boolean; output?: string; json?: boolean }): void {
  const { config, diagnostics } = loadConfig({ userOnly: !o.full });
  noteErrors(diagnostics);
  const shown = o.private ? config : maskSecrets(config);
  const text = o.json ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown, { version: "1.1" });
  if (o.output) atomicWrite(o.output, text, 0o600);
  else process.stdout.write(text);
}

export async function validate(o: { input?: string }): Promise<void> {
  let ds: Diagnostic[];
  if (o.input === undefined && process.stdin.isTTY) ds = loadLayers().flatMap((l) => l.diagnostics);
  else {
    const { data, name } = readInput(o.input);
    ds = await checkInput(data, name);
  }
  for (const d of ds) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (errorsIn(ds).length) process.exit(1);
}
