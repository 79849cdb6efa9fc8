// The network service's commands, registered in the ros CLI: its code loads only when one runs.
import { Command } from "commander";

export function networkCommands(): Command[] {
  const init = new Command("network-init")
    .description("apply rancher.network, then supervise DHCP and re-apply on SIGHUP (the network service's entry)")
    .action(async () => (await import("./index.ts")).networkInit());
  const network = new Command("network").description("the host's network, from rancher.network");
  network
    .command("apply")
    .description("apply rancher.network now (through the network service when it runs) and print what changed")
    .option("--dry-run", "print what would change, change nothing")
    .action(async (o: { dryRun?: boolean }) => (await import("./index.ts")).networkApply(o));
  return [init, network];
}
