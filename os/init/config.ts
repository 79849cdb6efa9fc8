// Reads user data from the first datasource disk, keeps it as cloud-config.d/boot.yml when it can be
// read, and reports every error against the user's own file without stopping the boot: a file that
// cannot be read leaves the last good boot.yml in force.
import { atomicWrite } from "../atomic-write.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { readDiskUserData } from "../../cloud-config/datasources/disk.ts";
import { parseUserData, type BootConfig } from "../../cloud-config/userdata.ts";
import { readSavedBootConfig } from "../../cloud-config/boot-config.ts";

const DEVICE_WAIT_MS = 3000;

export async function loadBootConfig(): Promise<BootConfig> {
  let found = await readDiskUserData();
  // Disks probed by freshly loaded drivers can show up a moment later.
  for (const until = Date.now() + DEVICE_WAIT_MS; !found && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 250));
    found = await readDiskUserData();
  }
  if (found) {
    const ud = parseUserData(found.text, found.source);
    for (const e of ud.errors) log("cloud-config", `error: ${e}`);
    log("cloud-config", `user data from ${found.source}: ${ud.kind}${ud.errors.length ? ` with ${ud.errors.length} error(s)` : ""}`);
    if (ud.kind === "cloud-config" && !ud.ignored) {
      atomicWrite(paths.bootConfig, found.text, 0o600);
      return ud.config;
    }
  } else {
    log("cloud-config", "no datasource found");
  }
  return readSavedBootConfig();
}
