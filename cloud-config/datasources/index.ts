// Where user data comes from: datasources made from RancherOS-style specs and the kernel command
// line, polled in parallel under a total time budget.
export type { Datasource, Found, Metadata } from "./types.ts";
export { ACCEPTED_SPECS, datasourcesFor } from "./specs.ts";
export { fetchFirst } from "./fetch-first.ts";
export { readConfigDriveTree } from "./configdrive.ts";
export { readNocloudTree } from "./nocloud.ts";
