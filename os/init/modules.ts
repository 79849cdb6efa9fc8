// Loads the kernel modules the image always loads: /etc/modules, which the build writes as the
// closure of images/initrd's `modules:` in load order; then drivers for the devices present.
import { readFileSync } from "node:fs";
import { paths } from "../paths.ts";
import { coldplug } from "./coldplug.ts";
import { modprobeAll } from "./modprobe.ts";

/** The module names of an /etc/modules file: one a line, `#` comments and blank lines skipped. */
export function moduleNames(etcModules: string): string[] {
  return etcModules
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim().split(/\s+/)[0]!)
    .filter(Boolean);
}

export async function loadModules(): Promise<void> {
  await modprobeAll(moduleNames(readFileSync(paths.etcModules, "utf8")), "modules");
  await coldplug();
}
