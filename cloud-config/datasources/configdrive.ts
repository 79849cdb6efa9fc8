// OpenStack config drive: a disk labelled "config-2" with openstack/latest/user_data.
import type { DiskDatasource } from "./types.ts";

export const configDrive: DiskDatasource = { name: "configdrive", labels: ["config-2", "CONFIG-2"], userDataPath: "openstack/latest/user_data" };
