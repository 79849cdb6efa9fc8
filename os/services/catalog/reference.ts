// What a user wrote to name an entry (`ros service enable X`, `rancher.services_include.X`): a
// catalog name, `repo/name`, an http(s) URL of a definition file, or a local path of one.
import { isAbsolute, basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CatalogError } from "./errors.ts";
import { isSafeName } from "./names.ts";

export type Reference =
  | { kind: "catalog"; name: string }
  | { kind: "pinned"; repo: string; name: string }
  | { kind: "url"; name: string; url: string }
  | { kind: "path"; name: string; path: string };

const fileName = (p: string) => basename(p).replace(/\.ya?ml$/, "");

/** A definition file's entry name: its base name without .yml, which must be a usable service name. */
function namedAfter(file: string, shown: string): string {
  const name = fileName(file);
  if (!isSafeName(name)) throw new CatalogError(`cannot name an entry after "${shown}": "${name}" is not a usable name`);
  return name;
}

export function parseReference(ref: string): Reference {
  const text = ref.trim();
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new CatalogError(`"${text}" is not a valid URL`);
    }
    return { kind: "url", name: namedAfter(decodeURIComponent(url.pathname), text), url: url.href };
  }
  if (/^file:\/\//i.test(text)) {
    const path = fileURLToPath(text);
    return { kind: "path", name: namedAfter(path, text), path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new CatalogError(`"${text}": only http://, https:// and file:// URLs can name a definition`);
  // A path is told from `repo/name` by its form: absolute, ./ or ../, or a .yml file name.
  if (isAbsolute(text) || /^\.\.?\//.test(text) || /\.ya?ml$/.test(text)) return { kind: "path", name: namedAfter(text, text), path: resolve(text) };
  const parts = text.split("/");
  if (parts.length === 2 && isSafeName(parts[0]!) && isSafeName(parts[1]!)) return { kind: "pinned", repo: parts[0]!, name: parts[1]! };
  if (parts.length === 1 && isSafeName(text)) return { kind: "catalog", name: text };
  throw new CatalogError(`"${text}" is neither a catalog name (like container-cron or core/container-cron), nor an http(s) URL, nor the path of a .yml file`);
}
