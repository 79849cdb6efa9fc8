// What a slot holds besides its kernel and initrd: which version, written when and by what.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SlotRelease { version: string; written: string; by: "install" | "upgrade" }

const FILE = "release.json";

export const writeSlotRelease = (dir: string, r: SlotRelease) => writeFileSync(join(dir, FILE), `${JSON.stringify(r, null, 2)}\n`);

export function readSlotRelease(dir: string): SlotRelease | undefined {
  const f = join(dir, FILE);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as SlotRelease) : undefined;
}
