// The image's own catalog, /usr/share/ros/catalog (the `core` repository), made from
// system-services/: a folder with a catalog.yml is an optional service; the console and docker
// services are the default console and engine, so switching back to them is a catalog choice too.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { REPO, hash } from "./cache.ts";

/** Named after the dockerd the image ships (Debian 12's docker.io). */
export const DEFAULT_ENGINE = "docker-20.10";

const SERVICES = join(REPO, "system-services");
const read = (...p: string[]) => readFileSync(join(SERVICES, ...p), "utf8");
/** A service.yml as the one service of a catalog entry, its comments kept. */
const entry = (name: string, text: string) => `${name}:\n${text.replace(/^(?=.)/gm, "  ")}`;

/** Writes the catalog to `out` (replacing it) and returns a hash of its content. */
export function writeCoreCatalog(out: string): string {
  const files: Record<string, string> = {};
  const services = readdirSync(SERVICES).filter((n) => existsSync(join(SERVICES, n, "catalog.yml"))).sort();
  for (const name of services) files[`${name[0]}/${name}.yml`] = read(name, "catalog.yml");
  files["d/default.yml"] = entry("console", read("console", "service.yml"));
  files[`d/${DEFAULT_ENGINE}.yml`] = entry("docker", read("docker", "service.yml"));
  files["index.yml"] = stringify({ services, consoles: ["default"], engines: [DEFAULT_ENGINE] });
  rmSync(out, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(out, rel, ".."), { recursive: true });
    writeFileSync(join(out, rel), text);
  }
  return hash(...Object.entries(files).sort().flat());
}
