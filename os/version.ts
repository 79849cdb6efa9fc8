// The OS version: baked into the bundle by esbuild, read from package.json when run from source.
import { readFileSync } from "node:fs";

declare const ROS_VERSION: string | undefined;

export const VERSION: string =
  typeof ROS_VERSION === "string" ? ROS_VERSION : (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
