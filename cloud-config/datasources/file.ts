// `file:/path`: user data in a file on the host (the path resolves under ROS_ROOT).
import { hostPath, readIfPresent } from "./host-files.ts";
import type { Datasource } from "./types.ts";

export function fileSource(path: string): Datasource {
  return {
    name: `file:${path}`,
    async fetch() {
      const userData = readIfPresent(hostPath(path));
      return userData && { source: `file:${path}`, userData, metadata: {} };
    },
  };
}
