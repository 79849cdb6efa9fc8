// When a stage has already run: bootcmd once per boot, runcmd and the user-data script once per
// instance (cloud-init's semantics). A boot marker holds the kernel's boot id, so it also holds in a
// container whose /run outlives a reboot; an instance marker is a file under the instance's folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { paths } from "../../os/paths.ts";

/** What cloud-init calls an instance whose datasource gave no id: one fixed instance. */
export const NO_INSTANCE = "iid-datasource-none";

/** The instance id as a folder name: any id maps to its own name, none to NO_INSTANCE. */
export function instanceDir(instanceId: string | undefined): string {
  const id = instanceId?.trim() || NO_INSTANCE;
  return encodeURIComponent(id).replace(/^\.{1,2}$/, (dots) => "%2E".repeat(dots.length));
}

const instanceMarker = (instanceId: string | undefined, what: string) => join(paths.cloudInitInstances, instanceDir(instanceId), what);
export const ranForInstance = (instanceId: string | undefined, what: string) => existsSync(instanceMarker(instanceId, what));
export function markInstance(instanceId: string | undefined, what: string): void {
  const file = instanceMarker(instanceId, what);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${new Date().toISOString()}\n`);
}

function currentBootId(): string {
  try {
    return readFileSync(paths.bootId, "utf8").trim();
  } catch {
    return "";
  }
}

/** A boot marker counts when it names this boot (or, without a boot id to compare, when it exists). */
export function sameBoot(marker: string | undefined, bootId: string): boolean {
  return marker !== undefined && marker.trim() === bootId;
}

const bootMarker = (what: string) => join(paths.cloudInitBoot, what);
export function ranThisBoot(what: string): boolean {
  const file = bootMarker(what);
  return sameBoot(existsSync(file) ? readFileSync(file, "utf8") : undefined, currentBootId());
}
export function markBoot(what: string): void {
  mkdirSync(paths.cloudInitBoot, { recursive: true });
  writeFileSync(bootMarker(what), `${currentBootId()}\n`);
}
