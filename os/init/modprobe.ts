// busybox's modprobe on a list of modules, as the boot runs it: each in the order given, and a
// module that fails is said, never fatal.
import { run } from "../exec.ts";
import { log } from "../log.ts";

export async function modprobeAll(names: string[], what: string): Promise<void> {
  if (names.length === 0) return;
  try {
    await run("modprobe", ["-a", ...names]);
  } catch (e) {
    // A module that fails (a CPU accelerator or driver with no hardware here) must not stop the boot.
    log("init", `${what} not loaded: ${failedModules((e as Error).message)}`);
  }
}

/** "modprobe: can't load module x (path): reason" lines, as "x (reason)". */
export function failedModules(stderr: string): string {
  const failed = [...stderr.matchAll(/can't load module (\S+) \([^)]*\): (.+)/g)].map((m) => `${m[1]} (${m[2]!.trim()})`);
  return failed.length ? failed.join(", ") : stderr.trim();
}
