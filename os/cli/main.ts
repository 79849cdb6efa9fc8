// The one entry of the bundle: `ros <command>`. Commands load their code only when they run,
// so `ros --version` stays instant.
import { Command } from "commander";
import { VERSION } from "../version.ts";
import { choiceCommand } from "./choice.ts";
import { configCommand } from "./config.ts";
import { serviceCommand } from "./service.ts";
import { logsCommand } from "./logs.ts";
import { installCommand } from "./install.ts";
import { osCommand } from "./os.ts";
import { agentCommand } from "./agent.ts";
import { analyzeCommand } from "./analyze.ts";
import { apiCommand } from "./api.ts";
import { tlsCommand } from "./tls.ts";
import { stackCommand } from "./stack.ts";
import { volumeCommand } from "./volume.ts";
import { networkCommands } from "../../system-services/network/cli.ts";

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
  ros.command("cloud-init-apply").description("apply the host's part of the cloud-config: modules, sysctls, mounts, files in system containers (the cloud-init service's entry)").action(async () => (await import("../../system-services/cloud-init/index.ts")).cloudInitApply());
  ros.command("container-cron").description("run containers labelled cron.schedule on their schedules, on both Dockers (the container-cron service's entry)").action(async () => (await import("../../system-services/container-cron/index.ts")).containerCron());
  ros
    .command("ntp-init")
    .description("run chronyd as the ntp key says; extra arguments go to chronyd (the ntp service's entry)")
    .argument("[chronyd-options...]", "e.g. -x to leave the clock alone")
    .allowUnknownOption()
    .action(async (extra: string[]) => (await import("../../system-services/ntp/index.ts")).ntpInit(extra));
  for (const [action, what] of [["poweroff", "power the host off"], ["reboot", "restart the host"], ["halt", "halt the host"]] as const) {
    ros.command(action).description(`${what}, its services stopped in order first`).option("-f, --force", "at once, without stopping the services").action(async (o: { force?: boolean }) => (await import("./power.ts")).power(action, o));
  }
  ros.command("agent-init").description("serve the host API (socket, TLS listener, tunnel) and keep the user Docker in the swarm rancher.agent.swarm describes (the agent service's entry)").action(async () => (await import("../../system-services/agent/index.ts")).agentInit());
  ros.addCommand(configCommand());
  ros.addCommand(serviceCommand());
  ros.command("journal-init").description("collect every container's output, syslog (/dev/log) and kernel messages into /var/log/journal (the journal service's entry)").action(async () => (await import("../../system-services/journal/index.ts")).journalInit());
  ros.addCommand(logsCommand());
  ros.addCommand(installCommand());
  ros.addCommand(osCommand());
  ros.addCommand(agentCommand());
  ros.addCommand(analyzeCommand());
  ros.addCommand(tlsCommand());
  ros.addCommand(apiCommand());
  ros.addCommand(stackCommand());
  ros.addCommand(volumeCommand());
  for (const c of networkCommands()) ros.addCommand(c);
  ros.addCommand(choiceCommand("console"));
  ros.addCommand(choiceCommand("engine"));
  return ros;
}

await program().parseAsync(process.argv);
