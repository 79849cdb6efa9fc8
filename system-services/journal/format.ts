// How `ros logs` prints a record: `short`, the way journalctl and syslog files do
// (`Nov 23 10:00:01 host unit[pid]: message`, local time), or `json`, the record as stored.
import type { JournalRecord } from "./record.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

export function formatShort(r: JournalRecord, host: string): string {
  const t = new Date(r.realtime / 1000);
  const pid = r.fields.pid === undefined ? "" : `[${r.fields.pid}]`;
  const head = `${MONTHS[t.getMonth()]} ${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())} ${host} ${r.unit}${pid}: `;
  // Continuation lines under the first, as journalctl indents them.
  return head + r.message.replaceAll("\n", `\n${" ".repeat(head.length)}`);
}

export const formatJson = (r: JournalRecord): string => JSON.stringify(r);
