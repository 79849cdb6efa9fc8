// `ros config …`: read, change and validate the config. The work is in config-actions.ts, loaded
// only when one of these commands runs.
import { Command, Option } from "commander";

const actions = () => import("./config-actions.ts");

export function configCommand(): Command {
  const cmd = new Command("config").alias("c").description("read, change and validate the config");
  cmd
    .command("get")
    .description("print the merged value of KEY (dotted, like rancher.network.dns.nameservers)")
    .argument("<key>")
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .action(async (k: string, o: { output: string }) => (await actions()).get(k, o));
  cmd
    .command("set")
    .description("set KEY to VALUE (read as YAML: 1500 is a number, [a, b] a list) in cloud-config.yml")
    .argument("<key>")
    .argument("<value>")
    // A VALUE like -5 is a value, not an option.
    .allowUnknownOption()
    .action(async (k: string, v: string) => (await actions()).set(k, v));
  cmd
    .command("merge")
    .description("merge a YAML config (a file, or stdin) into cloud-config.yml")
    .option("-i, --input <file>", "read from this file instead of stdin")
    .action(async (o: { input?: string }) => (await actions()).merge(o));
  cmd
    .command("export")
    .description("print the user's config (cloud-config.d and cloud-config.yml merged); secrets masked")
    .option("--private", "show passwords, private keys and tokens")
    .option("--full", "the whole merged config: image defaults and kernel command line included")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .option("--json", "JSON instead of YAML")
    .action(async (o: { private?: boolean; full?: boolean; output?: string; json?: boolean }) => (await actions()).exportConfig(o));
  cmd
    .command("validate")
    .description("check a config or user data (a file, or stdin; every config file when stdin is a terminal): errors on stderr as FILE:LINE:COL, exit 1 on errors")
    .option("-i, --input <file>", "read from this file instead of stdin")
    .action(async (o: { input?: string }) => (await actions()).validate(o));
  return cmd;
}
