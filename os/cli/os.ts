// `ros os version|list|upgrade|rollback`: the running OS, the installed disk's slots, and moving
// between them.
import { Command, Option } from "commander";

const actions = () => import("./os-actions.ts");

export function osCommand(): Command {
  const cmd = new Command("os").description("the operating system: its version, the installed slots, upgrades and rollback");
  cmd.command("version").description("print the running OS version").action(async () => (await actions()).version());
  cmd
    .command("list")
    .description("the installed disk's slots: what each holds, which is running, which boots next, and what the last upgrade came to")
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (o: { output: string }) => (await actions()).list(o));
  cmd
    .command("upgrade")
    .description("write an upgrade image (dist/corral-upgrade.tar) to the slot not running, and boot it once; it becomes the default only if it comes up healthy")
    .option("-i, --image <file-or-url>", "the upgrade image: a file, or an http(s) URL (default: rancher.upgrade.url)")
    .option("-f, --force", "write the image even if it is the version running")
    .option("--no-reboot", "stay up after writing it (it is tried on the next reboot)")
    .action(async (o: { image?: string; force?: boolean; reboot: boolean }) => (await actions()).upgradeAction(o));
  cmd
    .command("rollback")
    .description("boot the other slot from now on (the version before the last upgrade)")
    .option("--no-reboot", "stay up (the other slot boots on the next reboot)")
    .action(async (o: { reboot: boolean }) => (await actions()).rollbackAction(o));
  return cmd;
}
