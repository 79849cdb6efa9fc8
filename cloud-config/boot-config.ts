// The last good user data (cloud-config.d/boot.yml), for services and for boots without a datasource.
import { existsSync, readFileSync } from "node:fs";
import { log } from "../os/log.ts";
import { paths } from "../os/paths.ts";
import { parseUserData, type BootConfig } from "./userdata.ts";

export function readSavedBootConfig(): BootConfig {
  const text = existsSync(paths.bootConfig) ? readFileSync(paths.bootConfig, "utf8") : "";
  const ud = parseUserData(text, paths.bootConfig);
  for (const e of ud.errors) log("cloud-config", `error: ${e}`);
  return ud.config;
}
