// `ros journal-init`, the entry of the journal service: the host's one log. Every container's
// output on both Dockers, syslog from /dev/log and the kernel's messages go to append-only files
// in /var/log/journal, read back by `ros logs`, and to a systemd journald when one runs beside it.
import { readFileSync } from "node:fs";
import Docker from "dockerode";
import { loadConfig } from "../../cloud-config/load.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { followDocker, type DockerSource } from "./docker-follow.ts";
import { JournaldForwarder } from "./journald-forward.ts";
import { readKmsg } from "./kmsg.ts";
import type { JournalRecord } from "./record.ts";
import { advance, loadState, saveState } from "./state.ts";
import { listenSyslog } from "./syslog-socket.ts";
import { DEFAULT_LIMITS, JournalWriter, type StoreLimits } from "./writer.ts";

export interface JournalOptions {
  dir: string;
  /** The syslog socket to create. */
  devLog: string;
  /** /dev/kmsg; without it, no kernel messages. */
  kmsg?: string;
  /** This boot's id: kernel sequence numbers start over at each boot. */
  bootId?: string;
  dockers: DockerSource[];
  limits?: StoreLimits;
  /** A systemd journald's stdout socket: when it exists, every record is copied there too. */
  journald?: string;
}

export interface Journal {
  /** Stops every source, writes what is left and saves the cursors. */
  stop(): Promise<void>;
}

/** How long records wait in memory before they are written. */
const FLUSH_MS = 200;
/** How often the cursors are saved: a crash in between costs a replay of what followed, no record. */
const SNAPSHOT_MS = 5000;
const say = (m: string) => log("journal", m);

export async function startJournal(o: JournalOptions): Promise<Journal> {
  const state = loadState(o.dir);
  const writer = new JournalWriter(o.dir, o.limits ?? DEFAULT_LIMITS);
  const journald = o.journald ? new JournaldForwarder(o.journald, say) : undefined;
  let pending: JournalRecord[] = [];
  let unsaved = false;
  let stopped = false;
  let lastError = "";

  const flush = () => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    try {
      writer.append(batch);
      unsaved = true;
      lastError = "";
    } catch (e) {
      // A full or failing disk: these records are lost, the service goes on; said once per cause.
      const m = (e as Error).message;
      if (m !== lastError) say(`cannot write to ${o.dir}: ${m}`);
      lastError = m;
    }
  };
  const snapshot = () => {
    flush();
    if (!unsaved) return;
    try {
      writer.sync();
      saveState(o.dir, { ...state, position: writer.position() });
      unsaved = false;
    } catch (e) {
      say(`cannot save the journal's cursors: ${(e as Error).message}`);
    }
  };
  const emit = (r: JournalRecord) => {
    if (stopped) return;
    pending.push(r);
    advance(state, r);
    journald?.send(r);
    if (pending.length >= 1000) flush();
  };

  const flushTimer = setInterval(flush, FLUSH_MS);
  const snapshotTimer = setInterval(snapshot, SNAPSHOT_MS);

  const syslog = await listenSyslog(o.devLog, emit).catch((e: Error) => {
    say(`no syslog: cannot listen on ${o.devLog}: ${e.message}`);
    return undefined;
  });
  const resumeKernel = o.bootId && state.kmsg?.boot === o.bootId ? state.kmsg.seq : undefined;
  const kernel = o.kmsg ? readKmsg(o.kmsg, o.bootId ?? "", resumeKernel, emit, say) : undefined;
  const dockers = o.dockers.map((d) => followDocker(d, emit, { cursors: state.docker, log: say }));
  say(`writing to ${o.dir}`);

  return {
    async stop() {
      for (const d of dockers) d.stop();
      await Promise.all([syslog?.close(), kernel?.stop()]);
      stopped = true;
      clearInterval(flushTimer);
      clearInterval(snapshotTimer);
      snapshot();
      writer.close();
      journald?.close();
    },
  };
}

const MiB = 1 << 20;

export async function journalInit(): Promise<void> {
  const j = loadConfig().config.rancher?.journal;
  let bootId = "";
  try {
    bootId = readFileSync(paths.bootId, "utf8").trim();
  } catch {
    // Without it, kernel messages are read from the ring's start: repeated rather than lost.
  }
  const journal = await startJournal({
    dir: paths.journal,
    devLog: paths.devLog,
    kmsg: paths.kmsg,
    bootId,
    dockers: [
      { scope: "system", docker: new Docker({ socketPath: paths.systemDockerSock }) },
      { scope: "user", docker: new Docker({ socketPath: paths.userDockerSocket }) },
    ],
    journald: j?.forward_journald === false ? undefined : paths.journaldStdout,
    limits: { maxFileBytes: (j?.max_file_mb ?? DEFAULT_LIMITS.maxFileBytes / MiB) * MiB, maxTotalBytes: (j?.max_total_mb ?? DEFAULT_LIMITS.maxTotalBytes / MiB) * MiB },
  });
  for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => void journal.stop().then(() => process.exit(0)));
}
