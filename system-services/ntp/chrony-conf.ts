// chrony.conf from cloud-init's `ntp` key: its servers, pools, peers and allowed clients, or
// Debian's pool when it names no source. The clock is stepped at boot when far off (a VM's RTC
// often is) and slewed after that; the kernel copies it to the RTC (rtcsync).
import type { CloudConfig } from "../../cloud-config/schema/index.ts";

export type NtpConfig = NonNullable<CloudConfig["ntp"]>;

/** Where chronyd keeps its state and answers chronyc. */
export interface ChronyLocations {
  driftFile: string;
  /** chronyc's Unix socket (chronyc -h PATH). */
  commandSocket: string;
  pidFile: string;
}

/** The pool Debian's own chrony.conf uses. */
export const DEFAULT_POOL = "2.debian.pool.ntp.org";

// One word each: anything else (a space, a newline) would add a directive of the user's own.
const HOST = /^[A-Za-z0-9][A-Za-z0-9.:%_-]*$/;
const NETWORK = /^[A-Za-z0-9][A-Za-z0-9.:_-]*(\/\d{1,3})?$/;

export interface RenderedChrony { text: string; warnings: string[] }

export function chronyConf(ntp: NtpConfig | undefined, at: ChronyLocations): RenderedChrony {
  const warnings: string[] = [];
  const valid = (key: keyof NtpConfig, re: RegExp, what: string): string[] => {
    const list = (ntp?.[key] as string[] | undefined) ?? [];
    return list.filter((v, i) => {
      if (re.test(v)) return true;
      warnings.push(`ntp.${key}[${i}]: ${JSON.stringify(v)} is not ${what}; it is left out (write one name or address per entry)`);
      return false;
    });
  };
  const servers = valid("servers", HOST, "a host name or address");
  const pools = valid("pools", HOST, "a host name");
  const peers = valid("peers", HOST, "a host name or address");
  const allow = valid("allow", NETWORK, "an address or network");
  // As cloud-init does: peers alone do not make a time source, so the default pool stays.
  if (servers.length === 0 && pools.length === 0) {
    if (ntp?.servers?.length || ntp?.pools?.length) warnings.push(`ntp: no valid server or pool is left; using ${DEFAULT_POOL}`);
    pools.push(DEFAULT_POOL);
  }
  const lines = [
    "# Written by ros ntp-init from the ntp key of the cloud-config; edits here are lost at restart.",
    ...servers.map((s) => `server ${s} iburst`),
    ...pools.map((p) => `pool ${p} iburst`),
    ...peers.map((p) => `peer ${p}`),
    ...allow.map((a) => `allow ${a}`),
    // Step when more than 1 s off, in the first three updates only: later, slew.
    "makestep 1.0 3",
    "rtcsync",
    `driftfile ${at.driftFile}`,
    `bindcmdaddress ${at.commandSocket}`,
    `pidfile ${at.pidFile}`,
  ];
  return { text: `${lines.join("\n")}\n`, warnings };
}
