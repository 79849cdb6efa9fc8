// NoCloud: a disk labelled "cidata" with `user-data` (and `meta-data`) at its root.
import type { DiskDatasource } from "./types.ts";

export const nocloud: DiskDatasource = { name: "nocloud", labels: ["cidata", "CIDATA"], userDataPath: "user-data" };
