// What `ros os …` prints.
import { readSlots } from "../install/slots.ts";
import { VERSION } from "../version.ts";
import { fail, say } from "./output.ts";

export function version(): void {
  say(VERSION);
}

export async function list(o: { output: string }): Promise<void> {
  if (process.getuid?.() !== 0) fail(["ros os list: only root can read the boot partitions (run: sudo ros os list)"]);
  const view = await readSlots();
  const next = view.env.next_slot || view.env.default_slot;
  const rows = view.slots.map((s) => ({
    slot: s.slot,
    version: s.release?.version ?? null,
    written: s.release?.written ?? null,
    running: view.running === s.slot,
    default: view.env.default_slot === s.slot,
    next: next === s.slot,
  }));
  if (o.output === "json") {
    say(JSON.stringify({ running: view.running ?? null, grub: view.env, slots: rows }, null, 2));
    return;
  }
  if (!view.slots.some((s) => s.device)) {
    say(`Corral ${VERSION} is running from RAM: no installed disk (ros install -d DISK installs one)`);
    return;
  }
  for (const r of rows) {
    const marks = [r.running && "running", r.default && "default", r.next && "next boot"].filter(Boolean).join(", ");
    say(`${r.slot}  ${(r.version ?? "(empty)").padEnd(16)} ${marks}`);
  }
}
