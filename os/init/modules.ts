// Loads the kernel modules the image was built with (listed in /lib/modules/<ver>/modules.dep).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { paths } from "../paths.ts";
import { log } from "../log.ts";

export function moduleNames(modulesDep: string): string[] {
  return modulesDep
    .split("\n")
    .map((l) => l.split(":")[0]!.trim())
    .filter(Boolean)
    .map((p) => p.split("/").pop()!.replace(/\.ko(\.\w+)?$/, ""));
}

export async function loadModules(): Promise<void> {
  const release = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  const dep = readFileSync(join(paths.modules, release, "modules.dep"), "utf8");
  const names = moduleNames(dep);
  try {
    await run("modprobe", ["-a", ...names]);
  } catch (e) {
    // A module that fails (no such hardware) must not stop the boot.
    log("init", `some modules did not load: ${(e as Error).message}`);
  }
}
