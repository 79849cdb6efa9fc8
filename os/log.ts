// Boot log lines carry the kernel's uptime so a serial capture is a boot timeline (bench reads it).
import { readFileSync } from "node:fs";

function uptime(): string {
  try {
    return readFileSync("/proc/uptime", "utf8").split(" ")[0]!;
  } catch {
    return (process.uptime()).toFixed(2);
  }
}

export function log(component: string, message: string): void {
  process.stdout.write(`[${uptime().padStart(8)}] ${component}: ${message}\n`);
}
