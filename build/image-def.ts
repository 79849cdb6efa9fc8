// Reads images/<name>/image.yml: the declarative definition of one image (or of the initrd).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO } from "./cache.ts";

export interface FileSpec { path: string; mode?: string; content?: string; link?: string }

export interface ImageDef {
  name: string;
  kind: "image" | "initrd";
  from?: string;
  /** Debian packages, installed with their whole dependency closure. */
  packages: string[];
  /** Packages whose files are taken without their dependencies: package -> paths to keep. */
  pick: Record<string, string[]>;
  /** Packages of the closure not unpacked (glob on the name): things a container never runs. */
  skip: string[];
  /** Paths removed after unpacking (glob, relative to /). */
  exclude: string[];
  files: FileSpec[];
  /** Adds the ros bundle: /usr/lib/ros/ros.mjs and /usr/bin/ros. */
  bundle: boolean;
  config: { entrypoint?: string[]; cmd?: string[]; env?: string[]; labels?: Record<string, string>; workdir?: string };
  /** initrd only: kernel modules to load at boot (with their dependencies) and images to preload. */
  modules: string[];
  /** initrd only: driver modules shipped but loaded only for a device that is there (coldplug, udev). */
  drivers: string[];
  preload: string[];
  source: string;
}

const KEYS = new Set(["name", "kind", "from", "packages", "pick", "skip", "exclude", "files", "bundle", "config", "modules", "drivers", "preload"]);

export function readImageDef(name: string): ImageDef {
  const source = join(REPO, "images", name, "image.yml");
  const text = readFileSync(source, "utf8");
  const raw = (parse(text) ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(raw)) if (!KEYS.has(k)) throw new Error(`${source}: unknown key "${k}" (expected one of ${[...KEYS].join(", ")})`);
  if (raw.name !== name) throw new Error(`${source}: name must be "${name}", the folder's name`);
  return {
    name,
    kind: raw.kind === "initrd" ? "initrd" : "image",
    from: raw.from as string | undefined,
    packages: (raw.packages as string[]) ?? [],
    pick: (raw.pick as Record<string, string[]>) ?? {},
    skip: (raw.skip as string[]) ?? [],
    exclude: (raw.exclude as string[]) ?? [],
    files: (raw.files as FileSpec[]) ?? [],
    bundle: raw.bundle === true,
    config: (raw.config as ImageDef["config"]) ?? {},
    modules: (raw.modules as string[]) ?? [],
    drivers: (raw.drivers as string[]) ?? [],
    preload: (raw.preload as string[]) ?? [],
    source: text,
  };
}

export function imageNames(): string[] {
  return readdirSync(join(REPO, "images")).filter((n) => existsSync(join(REPO, "images", n, "image.yml"))).sort();
}
