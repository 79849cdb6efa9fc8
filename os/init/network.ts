// Until the network service (issue #5) exists: loopback up, and DHCP on every ethernet link.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";

export async function startNetwork(): Promise<void> {
  await run("ip", ["link", "set", "lo", "up"]);
  const links = readdirSync(join(paths.sys, "class/net")).filter((n) => /^(eth|en)/.test(n));
  for (const link of links) {
    // -b: go to the background if no lease comes at once, and keep renewing.
    run("udhcpc", ["-i", link, "-s", "/etc/udhcpc.script", "-b", "-t", "10", "-T", "2"])
      .then(() => log("network", `${link}: dhcp client started`))
      .catch((e) => log("network", `${link}: ${(e as Error).message}`));
  }
}
