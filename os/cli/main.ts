// The one entry of the bundle: `ros <command>`. Commands load their code only when they run,
// so `ros --version` stays instant.
import { Command } from "commander";
import { VERSION } from "../version.ts";
import { choiceCommand } from "./choice.ts";
import { configCommand } from "./config.ts";
import { serviceCommand } from "./service.ts";

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
  ros
    .command("docker-init")
    .description("run dockerd for the user's containers, configured by rancher.docker (the docker container's entry)")
    .action(async () => (await import("../../system-services/docker/index.ts")).dockerInit());
  ros.command("container-cron").description("run containers labelled cron.schedule on their schedules, on both Dockers (the container-cron service's entry)").action(async () => (await import("../../system-services/container-cron/index.ts")).containerCron());
  ros.addCommand(configCommand());
  ros.addCommand(serviceCommand());
  ros.addCommand(choiceCommand("console"));
  ros.addCommand(choiceCommand("engine"));
  return ros;
}

await program().parseAsync(process.argv);
