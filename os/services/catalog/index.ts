// The service catalog: what `ros service/console/engine` list and enable, and what the service
// runner adds to rancher.services from rancher.services_include.
export { catalogIndex } from "./catalog-index.ts";
export { CatalogError } from "./errors.ts";
export { REQUEST_TIMEOUT_MS } from "./fetch-remote.ts";
export { includedServices } from "./included.ts";
export type { CatalogIndex, Entry, Kind } from "./kinds.ts";
export { resolveEntry, type ResolvedEntry } from "./resolve.ts";
export type { CatalogOptions } from "./session.ts";
