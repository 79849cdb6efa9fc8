// Changes to the user's cloud-config.yml (`ros config set` / `merge`), made on the YAML document so
// the user's comments and layout survive, refused when they would add an error, written atomically.
import { existsSync, readFileSync } from "node:fs";
import { isCollection, isNode, type Document, type YAMLMap } from "yaml";
import { atomicWrite } from "../os/atomic-write.ts";
import { withFileLock } from "../os/file-lock.ts";
import { errorsIn, formatDiagnostic, type Diagnostic } from "./diagnostics.ts";
import { readLastGood } from "./last-good.ts";
import type { Path } from "./parse.ts";
import { isMapValue } from "./tree.ts";
import { validateText } from "./validate.ts";

export class ConfigEditError extends Error {}

const messagesOf = (ds: Diagnostic[]) => new Set(errorsIn(ds).map((d) => d.message));

/** The file as a YAML document, and the errors it has before any change. */
function readDoc(file: string): { doc: Document; errors: Set<string> } {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const v = validateText(text, file);
  if (v.config === undefined || v.parsed.doc === undefined) {
    throw new ConfigEditError(`${file} cannot be edited until it reads again:\n${v.diagnostics.map(formatDiagnostic).join("\n")}`);
  }
  return { doc: v.parsed.doc, errors: messagesOf(v.diagnostics) };
}

/**
 * Every leaf of a tree (maps are walked, lists and scalars are leaves) with its path. An empty map
 * has none: merging `rancher: {}` (or an empty document) changes nothing, as in deepMerge, rather
 * than replacing the whole map.
 */
export function leaves(v: unknown, path: Path = []): [Path, unknown][] {
  if (isMapValue(v)) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [[path, v]];
}

/**
 * doc.setIn would make missing maps YAML 1.1 ordered maps (!!omap); these are plain maps, as the
 * user would write them.
 */
function setIn(doc: Document, path: Path, value: unknown): void {
  if (!isCollection(doc.contents)) doc.contents = doc.createNode({});
  let node = doc.contents as YAMLMap;
  for (const seg of path.slice(0, -1)) {
    let next: unknown = node.get(seg, true);
    if (!isCollection(next)) {
      next = doc.createNode({});
      node.set(seg, next);
    }
    node = next as YAMLMap;
  }
  // The new value takes over the old one's comments ("key: old # why"), which belong to the value node.
  const next = doc.createNode(value);
  const old: unknown = node.get(path[path.length - 1], true);
  if (isNode(old)) Object.assign(next, { comment: old.comment, commentBefore: old.commentBefore, spaceBefore: old.spaceBefore });
  node.set(path[path.length - 1], next);
}

/** Sets each path to its value (undefined: removes it) in `file`; nothing is written if that adds an error. */
export function setValues(file: string, changes: [Path, unknown][]): Diagnostic[] {
  return withFileLock(file, () => setLocked(file, changes));
}

function setLocked(file: string, changes: [Path, unknown][]): Diagnostic[] {
  const { doc, errors: before } = readDoc(file);
  for (const [path, value] of changes) {
    try {
      if (path.length === 0) throw new Error("the whole config cannot be replaced; name a key");
      // undefined removes the key (a key that is not there is already removed).
      if (value === undefined) doc.deleteIn(path);
      else setIn(doc, path, value);
    } catch (e) {
      throw new ConfigEditError(`cannot set ${path.join(".")}: ${(e as Error).message}`);
    }
  }
  const text = doc.toString();
  const after = validateText(text, file, readLastGood(file));
  const added = errorsIn(after.diagnostics).filter((d) => !before.has(d.message));
  if (added.length > 0) return added;
  atomicWrite(file, text, 0o600);
  return [];
}
