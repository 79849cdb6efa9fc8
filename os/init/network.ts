// The boot's own network, before the network service (system-services/network) takes over: the
// loopback, the host files that service writes in place, and — only when a datasource needs the
// network — a DHCP client on every ethernet link so metadata services answer.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../exec.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";

export async function loopbackUp(): Promise<void> {
  await run("ip", ["link", "set", "lo", "up"]);
  // Bound into the network service's container: they must be files before Docker sees them, or it
  // would make folders of them.
  for (const file of [paths.resolvConf, paths.environment]) {
    if (existsSync(file)) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "");
  }
}

/** Datasources read from disks and files need no network; every other one does. */
export function needsNetwork(datasourceName: string): boolean {
  return !/^(nocloud|configdrive|file)(:(?!https?:)|$)/.test(datasourceName);
}

export function earlyDhcp(): void {
  const links = readdirSync(join(paths.sys, "class/net")).filter((n) => /^(eth|en)/.test(n));
  for (const link of links) {
    // -b: go to the background if no lease comes at once, and keep renewing until the network
    // service replaces it with dhcpcd.
    run("udhcpc", ["-i", link, "-s", "/etc/udhcpc.script", "-b", "-t", "10", "-T", "2"])
      .then(() => log("network", `${link}: early dhcp client started for the datasources`))
      .catch((e) => log("network", `${link}: ${(e as Error).message}`));
  }
}
