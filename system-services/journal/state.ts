// Where each source stopped, so a restart of the service neither repeats nor skips: per container,
// the Docker timestamp of the last line taken (and how many lines carried exactly that time); for
// the kernel, the boot and the last sequence number. A snapshot in state.json says how far into
// the journal it accounts for; on start the records written after that are replayed on top, so a
// crash between a write and the next snapshot loses nothing and repeats nothing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "../../os/atomic-write.ts";
import type { Position } from "./files.ts";
import { recordsFrom } from "./read.ts";
import type { JournalRecord } from "./record.ts";

export interface Cursor {
  /** µs since the epoch, from Docker's own timestamp of the line. */
  realtime: number;
  /** Lines already taken whose timestamp is exactly `realtime`. */
  count: number;
}

export interface JournalState {
  position: Position;
  /** By `dockerKey(scope, container id)`. */
  docker: Record<string, Cursor>;
  kmsg?: { boot: string; seq: number };
}

export const dockerKey = (scope: string, id: string): string => `${scope}/${id}`;

const stateFile = (dir: string) => join(dir, "state.json");

/** Moves the cursors past a record just written. */
export function advance(s: JournalState, r: JournalRecord): void {
  const f = r.fields;
  if (f.transport === "docker" && typeof f.scope === "string" && typeof f.container_id === "string") {
    const key = dockerKey(f.scope, f.container_id);
    const c = s.docker[key];
    if (c && c.realtime === r.realtime) c.count += 1;
    else if (!c || r.realtime > c.realtime) s.docker[key] = { realtime: r.realtime, count: 1 };
  } else if (f.transport === "kernel" && typeof f.boot_id === "string" && typeof f.seqnum === "number") {
    if (s.kmsg?.boot !== f.boot_id || f.seqnum > s.kmsg.seq) s.kmsg = { boot: f.boot_id, seq: f.seqnum };
  }
}

function readSnapshot(dir: string): JournalState {
  const fresh: JournalState = { position: { file: 0, offset: 0 }, docker: {} };
  try {
    const s = JSON.parse(readFileSync(stateFile(dir), "utf8")) as Partial<JournalState>;
    const okPosition = typeof s.position?.file === "number" && typeof s.position.offset === "number";
    const okDocker = typeof s.docker === "object" && s.docker !== null;
    // Anything else (missing, torn, edited by hand): the replay below rebuilds it from the records.
    return okPosition && okDocker ? { position: s.position!, docker: s.docker!, ...(s.kmsg ? { kmsg: s.kmsg } : {}) } : fresh;
  } catch {
    return fresh;
  }
}

/** The state as of the last record in the journal. */
export function loadState(dir: string): JournalState {
  const s = readSnapshot(dir);
  for (const { record, end } of recordsFrom(dir, s.position)) {
    advance(s, record);
    s.position = end;
  }
  return s;
}

export function saveState(dir: string, s: JournalState): void {
  atomicWrite(stateFile(dir), `${JSON.stringify(s)}\n`, 0o640);
}
