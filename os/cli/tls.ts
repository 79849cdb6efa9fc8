// `ros tls gen`: the certificates for the host API over TCP (rancher.agent.api.listen).
import { Command } from "commander";

const collect = (v: string, all: string[] = []) => [...all, v];

export function tlsCommand(): Command {
  const cmd = new Command("tls").description("certificates for the host API's TCP listener (mutual TLS)");
  cmd
    .command("gen")
    .description("write a CA (kept if the folder has one), a server certificate and a client certificate")
    .option("-H, --hostname <host>", "a name or address the server answers to (repeat for more; localhost is always in)", collect)
    .option("-d, --dir <dir>", "where to write them (default: rancher.agent.api.tls_dir, or /var/lib/rancher/conf/tls)")
    .option("-c, --client-name <cn>", "the client certificate's CN, logged with each request", "corral-admin")
    .action(async (o: { hostname?: string[]; dir?: string; clientName: string }) => (await import("./tls-actions.ts")).gen(o));
  return cmd;
}
