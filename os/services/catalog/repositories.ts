// The repositories to look names up in, in order: the image's own catalog first as `core`, then
// rancher.repositories in config order.
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import type { CloudConfig } from "../../../cloud-config/schema/index.ts";
import { paths } from "../../paths.ts";
import { isSafeName } from "./names.ts";

export const CORE = "core";

export type Repository = { name: string; url: string } & ({ remote: true } | { remote: false; dir: string });

/**
 * The repositories, and a warning for each configured one that cannot be used. A configured
 * `core` is one of them: RancherOS's own default config pointed `core` at its GitHub repository,
 * and here `core` is the catalog the image ships, which must stay reachable offline.
 */
export function repositories(config: CloudConfig): { repos: Repository[]; warnings: string[] } {
  const repos: Repository[] = [{ name: CORE, url: paths.defaultCatalog, remote: false, dir: paths.defaultCatalog }];
  const warnings: string[] = [];
  for (const [name, { url }] of Object.entries(config.rancher?.repositories ?? {})) {
    const where = `rancher.repositories.${name}`;
    if (name === CORE) {
      warnings.push(`${where} is not used: "core" is the catalog shipped in the image (give this repository another name)`);
    } else if (!isSafeName(name)) {
      warnings.push(`${where} is not used: a repository name may hold only letters, digits, ".", "_" and "-"`);
    } else if (/^https?:\/\//i.test(url)) {
      repos.push({ name, url: url.replace(/\/+$/, ""), remote: true });
    } else if (/^file:\/\//i.test(url)) {
      repos.push({ name, url, remote: false, dir: fileURLToPath(url) });
    } else if (isAbsolute(url)) {
      repos.push({ name, url, remote: false, dir: url });
    } else {
      warnings.push(`${where}.url "${url}" is not used: write an http(s):// URL, a file:// URL or an absolute folder path`);
    }
  }
  return { repos, warnings };
}
