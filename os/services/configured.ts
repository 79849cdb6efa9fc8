// Every service the merged config asks for: the catalog's that rancher.services_include turns on,
// the ones it defines in rancher.services (which win over the catalog's), and the console and
// engine chosen by rancher.console and rancher.docker.engine (which replace the image's own);
// less those whose io.corral.os.enabled_by setting is absent.
import type { CloudConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";
import { includedServices, resolveEntry, type CatalogOptions, type Kind } from "./catalog/index.ts";
import { onlyEnabled } from "./enabled-by.ts";
import { toServices, type Service } from "./service.ts";

/** The console os-config.yml defines: choosing it asks the catalog for nothing. */
export const DEFAULT_CONSOLE = "default";

async function chosen(config: CloudConfig, name: string | undefined, kind: Kind, setting: string, o: CatalogOptions): Promise<{ services: Record<string, ServiceConfig>; errors: string[] }> {
  if (!name || (kind === "consoles" && name === DEFAULT_CONSOLE)) return { services: {}, errors: [] };
  try {
    return { services: (await resolveEntry(config, name, kind, o)).services, errors: [] };
  } catch (e) {
    // The image's own stays in place: a host never loses its console to a bad name.
    return { services: {}, errors: [`${setting}: ${(e as Error).message}; the image's own is used`] };
  }
}

export async function configuredServices(config: CloudConfig, o: CatalogOptions = {}): Promise<{ services: Service[]; errors: string[] }> {
  const [included, console, engine] = await Promise.all([
    includedServices(config, o),
    chosen(config, config.rancher?.console, "consoles", "rancher.console", o),
    chosen(config, config.rancher?.docker?.engine, "engines", "rancher.docker.engine", o),
  ]);
  const defs = { ...included.services, ...(config.rancher?.services ?? {}), ...console.services, ...engine.services };
  return { services: toServices(onlyEnabled(defs, config)), errors: [...included.errors, ...console.errors, ...engine.errors] };
}
