// The image's default config, /usr/share/ros/os-config.yml: os/os-config.yml plus one entry per
// system service, each taken from system-services/<name>/service.yml.
import { readFileSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { errorsIn, formatDiagnostic } from "../cloud-config/diagnostics.ts";
import { validateText } from "../cloud-config/validate.ts";
import { interpolate } from "../os/services/catalog/interpolate.ts";
import { REPO } from "./cache.ts";

export function osConfigText(version: string): string {
  const base = (parse(readFileSync(join(REPO, "os/os-config.yml"), "utf8")) ?? {}) as { rancher?: { services?: Record<string, unknown> } };
  const rancher = (base.rancher ??= {});
  const services = (rancher.services ??= {});
  const dir = join(REPO, "system-services");
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, "service.yml");
    if (!existsSync(file)) continue;
    // Compose's rules, as the catalog applies them to the same files: `$$` is a literal `$`.
    const { value, problems } = interpolate(parse(readFileSync(file, "utf8")), { VERSION: version });
    if (problems.length) throw new Error(`${file}: ${problems.map((p) => `${p.path.join(".")}: ${p.message} (${p.hint})`).join("; ")}`);
    services[name] = value;
  }
  const text = stringify(base);
  // A bad service.yml fails the build, not a boot.
  const errors = errorsIn(validateText(text, "os-config.yml").diagnostics);
  if (errors.length) throw new Error(`the image's os-config.yml is invalid:\n${errors.map(formatDiagnostic).join("\n")}`);
  return text;
}

export function writeOsConfig(version: string, out: string): string {
  writeFileSync(out, osConfigText(version));
  return out;
}
