// Boot log lines carry the time since the kernel started, so a serial capture is a boot timeline
// (bench reads it). libuv's clock is CLOCK_MONOTONIC, which starts at boot: no /proc needed.
function uptime(): string {
  return (Number(process.hrtime.bigint() / 10_000_000n) / 100).toFixed(2);
}

export function log(component: string, message: string): void {
  process.stdout.write(`[${uptime().padStart(8)}] ${component}: ${message}\n`);
}
