// What the last upgrade came to, kept on the state partition (both slots see it) so the slot that
// boots after a failed one can say what happened: ros os list prints it.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { atomicWrite } from "../atomic-write.ts";
import type { Slot } from "../install/layout.ts";
import { paths } from "../paths.ts";

export type Outcome = "writing" | "staged" | "committed" | "failed" | "fell back" | "rolled back";

export interface UpgradeRecord { outcome: Outcome; slot: Slot; version: string; from: { slot: Slot; version: string }; at: string; why?: string }

export function readRecord(): UpgradeRecord | undefined {
  try {
    return existsSync(paths.upgradeRecord) ? (JSON.parse(readFileSync(paths.upgradeRecord, "utf8")) as UpgradeRecord) : undefined;
  } catch {
    return undefined;
  }
}

export function writeRecord(r: Omit<UpgradeRecord, "at">): UpgradeRecord {
  const full = { ...r, at: new Date().toISOString() };
  mkdirSync(dirname(paths.upgradeRecord), { recursive: true });
  atomicWrite(paths.upgradeRecord, `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** One line for people: what the last upgrade did, and when. */
export function describeRecord(r: UpgradeRecord): string {
  const to = `slot ${r.slot} (${r.version})`;
  const from = `slot ${r.from.slot} (${r.from.version})`;
  const text: Record<Outcome, string> = {
    writing: `${to} was being written and is not complete (the write was cut short, or is still going on); ${from} stays the default`,
    staged: `${to} is written and boots once on the next reboot; ${from} stays the default until it commits`,
    committed: `${to} came up healthy and is the default now; ${from} is kept for ros os rollback`,
    failed: `${to} booted but was not healthy in time, so the host went back to ${from}`,
    "fell back": `${to} did not come up, so the host went back to ${from} by itself`,
    "rolled back": `rolled back from ${from} to ${to}`,
  };
  return `${text[r.outcome]}${r.why ? ` (${r.why})` : ""}, ${r.at}`;
}
