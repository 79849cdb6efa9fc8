// `ros os version|list`: the running OS and the installed disk's slots.
import { Command, Option } from "commander";

const actions = () => import("./os-actions.ts");

export function osCommand(): Command {
  const cmd = new Command("os").description("the operating system: its version and the installed slots");
  cmd.command("version").description("print the running OS version").action(async () => (await actions()).version());
  cmd
    .command("list")
    .description("the installed disk's slots: what each holds, which is running, which boots next")
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (o: { output: string }) => (await actions()).list(o));
  return cmd;
}
