// What the boot keeps of the datasource's answer: the user's cloud-config as cloud-config.d/boot.yml,
// a `#!` script as the cloud-config script, and the instance metadata. User data that cannot be
// read leaves the previous boot.yml in place, so a bad datasource never costs the last good config.
import { stringify } from "yaml";
import { atomicWrite } from "../os/atomic-write.ts";
import { paths } from "../os/paths.ts";
import { checkUserData } from "./check.ts";
import type { Found } from "./datasources/types.ts";
import { diag, type Diagnostic } from "./diagnostics.ts";
import { deepMerge } from "./merge.ts";
import type { CloudConfig } from "./schema/index.ts";

export interface Applied {
  /** What was written: "boot.yml", "script", "metadata". */
  wrote: string[];
  diagnostics: Diagnostic[];
}

export async function applyUserData(found: Found): Promise<Applied> {
  const wrote: string[] = [];
  atomicWrite(paths.metadata, JSON.stringify(found.metadata, null, 2) + "\n", 0o600);
  wrote.push("metadata");
  if (!found.userData) return { wrote, diagnostics: [] };

  const { decoded, parts, diagnostics } = await checkUserData(found.userData, found.source);
  const readable = parts.filter(({ v }) => v.config !== undefined);
  if (readable.length === 1) {
    // Kept as written, so `ros config validate` points at the user's own lines.
    atomicWrite(paths.bootConfig, readable[0]!.part.text, 0o600);
    wrote.push("boot.yml");
  } else if (readable.length > 1) {
    const merged = readable.reduce<CloudConfig>((acc, { v }) => deepMerge(acc, v.config!), {});
    const from = readable.map(({ part }) => part.source).join(", ");
    atomicWrite(paths.bootConfig, `#cloud-config\n# Merged from ${from}\n${stringify(merged)}`, 0o600);
    wrote.push("boot.yml");
  } else if (decoded.cloudConfigs.length > 0) {
    diagnostics.push(diag("error", found.source, 1, 1, "no part of the user data could be read as a cloud-config", "the previous boot.yml stays in force"));
  }

  const [script, ...extra] = decoded.scripts;
  if (script) {
    atomicWrite(paths.cloudConfigScript, script.text, 0o700);
    wrote.push("script");
  }
  for (const s of extra) diagnostics.push(diag("warning", s.source, 1, 1, "only the first user-data script is kept", "combine the scripts into one"));
  return { wrote, diagnostics };
}
