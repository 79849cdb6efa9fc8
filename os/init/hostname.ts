// Sets the kernel hostname and keeps /etc/hostname and /etc/hosts in step with it.
import { readFileSync, writeFileSync } from "node:fs";
import { paths } from "../paths.ts";

export const DEFAULT_HOSTNAME = "corral";

export function setHostname(name: string | undefined): string {
  const hostname = name ?? DEFAULT_HOSTNAME;
  writeFileSync(paths.hostnameProc, hostname);
  writeFileSync(paths.etcHostname, `${hostname}\n`);
  const hosts = readFileSync(paths.etcHosts, "utf8").split("\n").filter((l) => !l.startsWith("127.0.1.1"));
  writeFileSync(paths.etcHosts, [...hosts.filter(Boolean), `127.0.1.1 ${hostname}`].join("\n") + "\n");
  return hostname;
}
