// Every service the merged config asks for: the ones it defines in rancher.services, and the
// catalog's that rancher.services_include turns on (a direct definition wins over the catalog's).
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { includedServices, type CatalogOptions } from "./catalog/index.ts";
import { toServices, type Service } from "./service.ts";

export async function configuredServices(config: CloudConfig, o: CatalogOptions = {}): Promise<{ services: Service[]; errors: string[] }> {
  const included = await includedServices(config, o);
  return { services: toServices({ ...included.services, ...(config.rancher?.services ?? {}) }), errors: included.errors };
}
