// rancher.sysctl: each key written under /proc/sys, as sysctl(8) would, with an error per key.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../../os/paths.ts";

/** "net.ipv4.ip_forward" or "net/ipv4/ip_forward" (the form for names holding a dot, like eth0.100). */
export function sysctlFile(key: string): string {
  const parts = key.includes("/") ? key.split("/") : key.split(".");
  if (parts.some((p) => p === "" || p === "." || p === "..")) throw new Error(`"${key}" is not a sysctl name: write it like net.ipv4.ip_forward`);
  return join(paths.procSys, ...parts);
}

export function setSysctl(key: string, value: string | number | boolean): void {
  const file = sysctlFile(key);
  const v = typeof value === "boolean" ? (value ? "1" : "0") : String(value);
  try {
    writeFileSync(file, v);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`no such kernel setting (${file}): check the name, or load its module in rancher.modules`);
    if (code === "EINVAL") throw new Error(`the kernel refused the value "${v}": see the kernel's documentation of ${key} for its range`);
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw new Error(`${file} is read-only here: this setting cannot be changed at runtime`);
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
}
