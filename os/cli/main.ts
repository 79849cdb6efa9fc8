// The one entry of the bundle: `ros <command>`. Commands load their code only when they run,
// so `ros --version` stays instant.
import { Command } from "commander";
import { VERSION } from "../version.ts";
import { configCommand } from "./config.ts";

export function program(): Command {
  const ros = new Command("ros").description("Corral OS control").version(VERSION, "-v, --version", "print the OS version");
  ros
    .command("init")
    .description("boot the host (run as PID 1's child by tini; never exits)")
    .action(async () => (await import("../init/index.ts")).init());
  ros
    .command("console-init")
    .description("set up the rancher user and run sshd and gettys (the console container's entry)")
    .action(async () => (await import("../../system-services/console/index.ts")).consoleInit());
  ros.addCommand(configCommand());
  return ros;
}

await program().parseAsync(process.argv);
