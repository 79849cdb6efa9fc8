// /dev/log as a stream socket. Node has no Unix datagram sockets; glibc's syslog() and util-linux
// `logger` try a datagram first and fall back to a stream, so a stream socket serves them both.
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { dirname } from "node:path";
import { nowMonotonic, nowRealtime, type JournalRecord } from "./record.ts";
import { parseSyslog, SyslogFramer } from "./syslog-parse.ts";

export interface SyslogSocket {
  close(): Promise<void>;
}

function syslogRecord(text: string): JournalRecord {
  const m = parseSyslog(text);
  const fields: JournalRecord["fields"] = { transport: "syslog", facility: m.facility };
  if (m.pid !== undefined) fields.pid = m.pid;
  if (m.hostname) fields.hostname = m.hostname;
  if (m.msgid) fields.msgid = m.msgid;
  return { realtime: nowRealtime(), monotonic: nowMonotonic(), unit: m.tag ?? "syslog", priority: m.priority, message: m.message, fields };
}

/** Listens on `path` (replacing whatever is there) until close(); every message goes to `emit`. */
export async function listenSyslog(path: string, emit: (r: JournalRecord) => void): Promise<SyslogSocket> {
  mkdirSync(dirname(path), { recursive: true });
  // A socket left by an earlier run, or another logger's link: this service owns /dev/log now.
  rmSync(path, { force: true });
  const clients = new Set<Socket>();
  const server = createServer((c) => {
    clients.add(c);
    const framer = new SyslogFramer();
    c.on("data", (d: Buffer) => framer.push(d).forEach((m) => emit(syslogRecord(m))));
    c.on("end", () => framer.end().forEach((m) => emit(syslogRecord(m))));
    // A sender that goes away mid-message costs that message only.
    c.on("error", () => undefined);
    c.on("close", () => clients.delete(c));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Every user's programs log here, not only root's.
  chmodSync(path, 0o666);
  return {
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of clients) c.destroy();
      await closed;
      rmSync(path, { force: true });
    },
  };
}
