// Follows every container's output on one Docker: each one listed on connecting, and each one
// Docker says started, has its log read from where the journal stopped (its cursor) and followed
// until it stops. A Docker that is not there yet, or goes away, is retried quietly.
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { dockerMessage, isNotFound } from "../../os/services/docker-errors.ts";
import { DockerLogDecoder, type DockerLine } from "./docker-lines.ts";
import { monotonicAt, type JournalRecord } from "./record.ts";
import { dockerKey, type Cursor } from "./state.ts";

export interface DockerSource {
  /** Which Docker this is: "system" or "user" (the `scope` field of its records). */
  scope: string;
  docker: Docker;
}

export interface DockerFollowOptions {
  /** The journal's cursors, by dockerKey: read when a log is opened, dropped with the container. */
  cursors: Record<string, Cursor>;
  log: (m: string) => void;
}

export interface DockerFollower {
  stop(): void;
}

type Closable = NodeJS.ReadableStream & { destroy?(): void };

/** How often a Docker that is not answering is tried again. */
const RETRY_MS = 2000;

export function followDocker(src: DockerSource, emit: (r: JournalRecord) => void, o: DockerFollowOptions): DockerFollower {
  const abort = new AbortController();
  const streams = new Map<string, Closable | undefined>();
  // Containers whose logging driver Docker cannot read back (none, syslog…): said once.
  const unreadable = new Set<string>();
  let events: Closable | undefined;

  const record = (id: string, name: string, l: DockerLine): JournalRecord => ({
    realtime: l.realtime,
    monotonic: monotonicAt(l.realtime),
    unit: name,
    priority: l.stream === "stderr" ? 3 : 6,
    message: l.text,
    fields: { transport: "docker", scope: src.scope, container_id: id, stream: l.stream },
  });

  /**
   * Reads a container's log from its cursor, following it while it runs. Docker's follow can end
   * before the last lines are sent (a container that exits, a line without its newline), so once
   * it stops the log is read once more without following; the cursor drops what came already.
   */
  const attach = async (id: string, final = false): Promise<void> => {
    if (streams.has(id) || unreadable.has(id) || abort.signal.aborted) return;
    streams.set(id, undefined);
    const c = src.docker.getContainer(id);
    let next: "follow" | "final" | undefined;
    try {
      const info = await c.inspect();
      const name = info.Name.replace(/^\//, "");
      const at = o.cursors[dockerKey(src.scope, id)];
      // A copy: the journal moves the cursor itself as these lines are written.
      const from = at && { ...at };
      // Docker's `since` is inclusive: lines at the cursor's own µs come again and the first `count` are dropped.
      let repeats = from?.count ?? 0;
      // In integers: a float of the µs since the epoch has no digit to spare.
      const since = from ? `${Math.floor(from.realtime / 1e6)}.${String(from.realtime % 1e6).padStart(6, "0")}` : 0;
      const decoder = new DockerLogDecoder(info.Config.Tty);
      const take = (lines: DockerLine[]) => {
        for (const l of lines) {
          if (from && (l.realtime < from.realtime || (l.realtime === from.realtime && repeats-- > 0))) continue;
          emit(record(id, name, l));
        }
      };
      const got = (await c.logs({ follow: !final, stdout: true, stderr: true, timestamps: true, since } as Docker.ContainerLogsOptions & { follow: true })) as unknown as Closable | Buffer;
      if (Buffer.isBuffer(got)) take(decoder.push(got));
      else {
        if (abort.signal.aborted) return got.destroy?.();
        streams.set(id, got);
        try {
          for await (const chunk of got as AsyncIterable<Buffer>) take(decoder.push(chunk));
        } catch {
          // Cut off (Docker went away, or stop()): what arrived is kept; the listing on reconnecting reopens it.
        }
      }
      take(decoder.end());
      if (!abort.signal.aborted) next = (await c.inspect()).State.Running ? "follow" : final ? undefined : "final";
    } catch (e) {
      if (!isNotFound(e) && !abort.signal.aborted && /does not support reading|configured logging driver/i.test(dockerMessage(e))) {
        unreadable.add(id);
        o.log(`cannot read the output of container ${id.slice(0, 12)} (${src.scope} Docker): ${dockerMessage(e)}`);
      }
    } finally {
      streams.delete(id);
    }
    // Running again: restarted before the old stream closed; follow the new run.
    if (next === "follow") await sleep(200, undefined, { signal: abort.signal }).catch(() => undefined);
    if (next) await attach(id, next === "final");
  };

  const onEvent = (line: string) => {
    let ev: { Action?: string; status?: string; id?: string };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    const action = ev.Action ?? ev.status;
    if (!ev.id) return;
    if (action === "start") void attach(ev.id);
    else if (action === "destroy") {
      delete o.cursors[dockerKey(src.scope, ev.id)];
      unreadable.delete(ev.id);
    }
  };

  const connect = async () => {
    let up = false;
    while (!abort.signal.aborted) {
      try {
        // Subscribed before listing, so a container started in between is not missed.
        events = (await src.docker.getEvents({ filters: { type: ["container"], event: ["start", "destroy"] } })) as Closable;
        if (abort.signal.aborted) break;
        const all = await src.docker.listContainers({ all: true });
        if (!up) o.log(`following the output of the ${src.scope} Docker's containers`);
        up = true;
        const live = new Set(all.map((c) => c.Id));
        for (const key of Object.keys(o.cursors)) {
          const [scope, id] = key.split("/");
          if (scope === src.scope && !live.has(id!)) delete o.cursors[key];
        }
        // Stopped ones too: what they wrote while the journal was down is read once, up to their end.
        for (const c of all) void attach(c.Id);
        let rest = "";
        for await (const chunk of events as AsyncIterable<Buffer>) {
          const lines = (rest + chunk.toString("utf8")).split("\n");
          rest = lines.pop()!;
          lines.filter(Boolean).forEach(onEvent);
        }
      } catch {
        // Not there yet, or gone: said once, never per retry.
      }
      events?.destroy?.();
      if (abort.signal.aborted) break;
      if (up) o.log(`lost the ${src.scope} Docker; waiting for it`);
      up = false;
      await sleep(RETRY_MS, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  };
  void connect();

  return {
    stop() {
      abort.abort();
      events?.destroy?.();
      for (const s of streams.values()) s?.destroy?.();
    },
  };
}
