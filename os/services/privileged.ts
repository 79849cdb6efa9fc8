// `privileged: true` where Docker cannot grant it. Docker's privileged mode asks for every
// capability; where the daemon's bounding set lacks one (CAP_SYS_RESOURCE on our test machines) it
// refuses. Then the runner asks for every capability the machine has, and opens what privileged
// mode opens: devices, seccomp, AppArmor, /proc and /sys paths, the host's cgroups.
import { readFileSync } from "node:fs";
import type Docker from "dockerode";

// Linux capability numbers, in order (include/uapi/linux/capability.h).
const CAPS = "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE".split(" ");

/**
 * Capabilities missing from a bounding set ("CapBnd:" of /proc/PID/status, in hex), among those the
 * kernel has (0..lastCap, /proc/sys/kernel/cap_last_cap): an older kernel lacks the newest ones.
 */
export function missingCaps(status: string, lastCap = CAPS.length - 1): string[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)/im.exec(status)?.[1];
  if (!hex) return [];
  const bound = BigInt(`0x${hex}`);
  return CAPS.filter((_, i) => i <= lastCap && !(bound & (1n << BigInt(i))));
}

let cached: string[] | undefined;
/**
 * PID 1's bounding set bounds every process on the machine, the Docker daemons included. Ours may be
 * narrower (a command run in a container): reading PID 1's gives the same answer from init, from
 * the console (which shares the host's PIDs) and from a test, so a definition always makes the same
 * container.
 */
function machineMissingCaps(): string[] {
  return (cached ??= missingCaps(readFileSync("/proc/1/status", "utf8"), Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"))));
}

/** The host-config fields that make a container privileged on this machine. */
/** Docker's API has CgroupnsMode (1.41); dockerode's types do not yet. */
export type HostConfig = Docker.HostConfig & { CgroupnsMode?: "host" | "private"; MaskedPaths?: string[]; ReadonlyPaths?: string[] };

export function privilegedHostConfig(missing = machineMissingCaps()): Partial<HostConfig> {
  if (missing.length === 0) return { Privileged: true };
  return {
    Privileged: false,
    CapAdd: ["ALL"],
    CapDrop: missing,
    SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
    // What the CLI's systempaths=unconfined means in the API: nothing in /proc or /sys masked or read-only.
    MaskedPaths: [],
    ReadonlyPaths: [],
    Devices: [],
    DeviceCgroupRules: ["a *:* rwm"],
    CgroupnsMode: "host",
  };
}

/** Binds that privileged mode would have given: all of /dev, and cgroups writable. */
export function privilegedBinds(missing = machineMissingCaps()): string[] {
  return missing.length === 0 ? [] : ["/dev:/dev", "/sys/fs/cgroup:/sys/fs/cgroup:rw"];
}
