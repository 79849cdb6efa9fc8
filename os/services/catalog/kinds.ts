// The three lists of a catalog, and what the main service of an entry of each kind is called.
export const KINDS = ["services", "consoles", "engines"] as const;
export type Kind = (typeof KINDS)[number];

/** One name a repository lists. */
export interface Entry { name: string; repo: string }

export type CatalogIndex = Record<Kind, Entry[]>;

/** The singular, for messages: `no console "x"`. */
export const KIND_WORD: Record<Kind, string> = { services: "service", consoles: "console", engines: "engine" };

/**
 * A console replaces the `console` service and an engine the `docker` service, whatever the entry
 * is called; a plain service entry's main service carries the entry's own name.
 */
export function mainServiceOf(kind: Kind, entryName: string): string {
  return kind === "consoles" ? "console" : kind === "engines" ? "docker" : entryName;
}
