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
  const release = readFileSync(paths.osRelease, "utf8").trim();
  const dep = readFileSync(join(paths.modules, release, "modules.dep"), "utf8");
  const names = moduleNames(dep);
  try {
    await run("modprobe", ["-a", ...names]);
  } catch (e) {
    // A module that fails (a CPU accelerator or driver with no hardware here) must not stop the boot.
    log("init", `modules not loaded: ${failedModules((e as Error).message)}`);
  }
}

/** "modprobe: can't load module x (path): reason" lines, as "x (reason)". */
export function failedModules(stderr: string): string {
  const failed = [...stderr.matchAll(/can't load module (\S+) \([^)]*\): (.+)/g)].map((m) => `${m[1]} (${m[2]!.trim()})`);
  return failed.length ? failed.join(", ") : stderr.trim();
}
