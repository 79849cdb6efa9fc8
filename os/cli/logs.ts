// `ros logs`: the host's journal (the journal service's files), filtered like journalctl. The work
// is in system-services/journal/query.ts, loaded only when the command runs.
import { Command } from "commander";

const collect = (v: string, all: string[] = []) => [...all, v];

export function logsCommand(): Command {
  return new Command("logs")
    .description("the host's log: every container's output (both Dockers), syslog and the kernel's messages")
    .option("-u, --unit <unit>", "only this unit: a container or service name, a syslog tag, or kernel (repeat for more)", collect)
    .option("-p, --priority <level>", "only this level and more urgent: 0-7 or emerg, alert, crit, err, warning, notice, info, debug; or a range like err..warning")
    .option("-S, --since <time>", 'from this time on: "2024-11-23 10:00", an ISO time, "today", "yesterday", "-10m", "1h ago"')
    .option("-U, --until <time>", "up to this time (the same forms as --since)")
    .option("-f, --follow", "keep printing records as they are written (the last 10 first, unless -n)")
    .option("-n, --lines <n>", 'only the last N records (or "all")')
    .option("-o, --output <format>", "short (like journalctl) or json (one object per line)", "short")
    .action(async (o: { unit?: string[]; priority?: string; since?: string; until?: string; follow?: boolean; lines?: string; output: string }) => (await import("../../system-services/journal/query.ts")).logs(o));
}
