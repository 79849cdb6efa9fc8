// `ros service …`: the services the config names and the catalog offers, and their containers.
// The work is in service-actions.ts, loaded only when one of these commands runs.
import { Command, Option } from "commander";

const actions = () => import("./service-actions.ts");
const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a number of seconds: ${v}`);
  return n;
};

export function serviceCommand(): Command {
  const cmd = new Command("service").alias("s").description("list, enable and run services (system-docker and user-docker)");
  cmd
    .command("list")
    .alias("ls")
    .description("the catalog's services, enabled or disabled")
    .option("-a, --all", "also the services the config defines itself")
    .option("-u, --update", "ask remote catalogs again instead of using their cached copies")
    .action(async (o: { all?: boolean; update?: boolean }) => (await actions()).list(o));
  cmd
    .command("enable")
    .description("turn on a catalog service, or a definition file at a URL or path (started by `ros service up` or the next boot)")
    .argument("<service>", "a catalog name, repo/name, URL or path")
    .action(async (n: string) => (await actions()).enable(n));
  cmd
    .command("disable")
    .description("turn off an enabled service (its containers stay until `ros service rm`)")
    .argument("<service>")
    .action(async (n: string) => (await actions()).disable(n));
  cmd
    .command("delete")
    .description("forget an enabled service and remove its containers")
    .argument("<service>")
    .action(async (n: string) => (await actions()).remove(n));
  cmd
    .command("up")
    .description("create and start services as the config says (all, or these and what they wait for); unchanged ones are kept")
    .argument("[services...]")
    // The console switch passes the definitions it resolved: its container cannot see every catalog.
    .addOption(new Option("--definitions <json>", "these service definitions instead of the config's").hideHelp())
    .action(async (names: string[], o: { definitions?: string }) => (await actions()).up(names, o));
  for (const [name, description] of [["start", "start services' containers"], ["restart", "restart services' containers"]] as const) {
    cmd.command(name).description(description).argument("<services...>").action(async (names: string[]) => (await actions()).containerOp(name, names, {}));
  }
  cmd
    .command("stop")
    .description("stop services' containers (they stay stopped until started or the next boot)")
    .argument("<services...>")
    .option("-t, --timeout <seconds>", "seconds to wait before killing", seconds, 10)
    .action(async (names: string[], o: { timeout: number }) => (await actions()).containerOp("stop", names, o));
  cmd
    .command("rm")
    .description("remove services' containers")
    .argument("<services...>")
    .option("-f, --force", "stop them first if they run")
    .action(async (names: string[], o: { force?: boolean }) => (await actions()).containerOp("rm", names, o));
  cmd
    .command("ps")
    .description("every service's state, health and restarts")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (o: { output: string }) => (await actions()).ps(o));
  cmd
    .command("logs")
    .description("a service's output")
    .argument("<service>")
    .option("-f, --follow", "keep printing new output")
    .option("-n, --lines <n>", "only the last N lines", (v) => seconds(v))
    .action(async (n: string, o: { follow?: boolean; lines?: number }) => (await actions()).logs(n, o));
  return cmd;
}
