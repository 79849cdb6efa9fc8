// After applying: wait, bounded, for the configured addresses to be usable and the DHCP leases to
// come. A link without carrier is reported and not waited for; what is late is reported, never fatal.
import { readState, type KernelState } from "./links.ts";
import type { Plan } from "./plan.ts";

export const DEFAULT_WAIT_S = 10;
/** A link just brought up may take this long to see its carrier (autonegotiation). */
const CARRIER_GRACE_MS = 3000;

export async function waitReady(plan: Plan, timeoutS: number, read: () => Promise<KernelState> = readState): Promise<string[]> {
  const notes: string[] = [];
  const started = Date.now();
  const deadline = started + timeoutS * 1000;
  // Ports of a bond or bridge carry no addresses of their own.
  let pending = plan.ifaces.filter((d) => !d.master && ((d.addresses?.length ?? 0) > 0 || d.dhcp));
  if (timeoutS === 0 || pending.length === 0) return notes;
  for (;;) {
    const links = new Map((await read()).links.map((l) => [l.name, l]));
    pending = pending.filter((d) => {
      const link = links.get(d.name);
      if (!link) return false;
      if (!link.carrier && Date.now() - started > Math.min(CARRIER_GRACE_MS, timeoutS * 1000)) {
        notes.push(`${d.name}: no carrier, not waiting for its addresses (check the cable or the virtual switch)`);
        return false;
      }
      const usable = link.addrs.filter((a) => !a.tentative);
      const statics = (d.addresses ?? []).every((c) => usable.some((a) => a.cidr === c));
      const lease = !d.dhcp || usable.some((a) => a.dynamic && a.scope === "global");
      return !(statics && lease);
    });
    if (pending.length === 0) {
      notes.push(`addresses ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return notes;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const d of pending) {
    notes.push(
      d.dhcp
        ? `${d.name}: no DHCP lease after ${timeoutS}s; dhcpcd keeps trying (check the DHCP server on that network)`
        : `${d.name}: addresses not usable after ${timeoutS}s (an IPv6 address may have failed duplicate address detection: check "ip addr show ${d.name}")`,
    );
  }
  return notes;
}
