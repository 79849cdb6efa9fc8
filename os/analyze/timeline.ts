// The boot's timeline as init and its watcher record it (/run/ros/boot-timeline.json), and the rows
// `ros analyze boot` shows: every time is in seconds since the kernel started (CLOCK_MONOTONIC), so
// the boot log's timestamps, the timeline and the serial capture agree.
import { readFileSync } from "node:fs";
import { atomicWrite } from "../atomic-write.ts";
import { paths } from "../paths.ts";

export interface Span { name: string; start: number; end: number }

export interface ServiceTimes {
  /** When its container started. */
  started: number;
  /** When its health check first passed. */
  healthy?: number;
  /** When a oneshot exited, and how. */
  finished?: number;
  exitCode?: number;
}

export interface BootTimeline {
  /** When init started: the kernel, the initramfs and node's own start come before. */
  init: number;
  stages: Span[];
  services: Record<string, ServiceTimes>;
  /** The services stage is over and every service is healthy or done (or the watch gave up). */
  complete: boolean;
}

/** Seconds since the kernel started, to the hundredth. */
export const sinceBoot = (): number => Number(process.hrtime.bigint() / 10_000_000n) / 100;

/** The same clock for an event Docker stamped with the wall clock. */
export const sinceBootAt = (iso: string): number => Math.max(0, Math.round((sinceBoot() - (Date.now() - Date.parse(iso)) / 1000) * 100) / 100);

export function saveTimeline(t: BootTimeline): void {
  atomicWrite(paths.bootTimeline, `${JSON.stringify(t, null, 1)}\n`);
}

export function readTimeline(file = paths.bootTimeline): BootTimeline {
  return JSON.parse(readFileSync(file, "utf8")) as BootTimeline;
}

export interface Row {
  what: string;
  start: number;
  /** The end of the bar: a stage's end, a service's healthy or finished time. */
  end: number;
  kind: "kernel" | "stage" | "service" | "milestone";
  note?: string;
}

/** The milestones users wait for, from the services that mark them. */
const MILESTONES: [string, string][] = [
  ["ssh ready", "console"],
  ["user-docker ready", "docker"],
];

/** The chart's rows in time order: the kernel, init's stages, each service, then the milestones. */
export function rows(t: BootTimeline): Row[] {
  const out: Row[] = [{ what: "kernel + initramfs", start: 0, end: t.init, kind: "kernel" }];
  for (const s of t.stages) out.push({ what: s.name, start: s.start, end: s.end, kind: "stage" });
  const services = Object.entries(t.services).sort(([, a], [, b]) => a.started - b.started);
  for (const [name, s] of services) {
    const end = s.healthy ?? s.finished;
    const note = s.healthy !== undefined ? "healthy" : s.finished !== undefined ? `exited ${s.exitCode ?? "?"}` : "not ready yet";
    out.push({ what: name, start: s.started, end: end ?? s.started, kind: "service", note });
  }
  for (const [what, service] of MILESTONES) {
    const at = t.services[service]?.healthy;
    if (at !== undefined) out.push({ what, start: at, end: at, kind: "milestone" });
  }
  return out;
}

const sec = (n: number) => `${n.toFixed(2)} s`;

/** The timeline as a table: what, from, to, how long. */
export function formatTimeline(t: BootTimeline): string {
  const rs = rows(t);
  const width = Math.max(...rs.map((r) => r.what.length + (r.kind === "service" ? 8 : 0)));
  const lines = rs.map((r) => {
    const label = (r.kind === "service" ? `service ${r.what}` : r.what).padEnd(width);
    if (r.kind === "milestone") return `${label}  at ${sec(r.start)}`;
    const span = `${sec(r.start).padStart(9)} → ${sec(r.end).padStart(9)}  ${sec(r.end - r.start).padStart(9)}`;
    return `${label}  ${span}${r.note ? `  ${r.note}` : ""}`;
  });
  if (!t.complete) lines.push("(the boot is still settling: some services are not ready yet)");
  return `${lines.join("\n")}\n`;
}
