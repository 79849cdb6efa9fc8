// `ros agent status|leave`: this node's place in the Docker Swarm the agent keeps it in.
import { Command, Option } from "commander";

const actions = () => import("./agent-actions.ts");

export function agentCommand(): Command {
  const cmd = new Command("agent").description("the swarm agent: this node's Docker Swarm membership (rancher.agent.swarm)");
  cmd
    .command("status")
    .description("node id, role, managers and the agent's last error")
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (o: { output: string }) => (await actions()).status(o));
  cmd
    .command("leave")
    .description("leave the swarm (a manager is demoted first); the agent does not join again until the next boot")
    .option("-f, --force", "leave at once, even as the last manager")
    .action(async (o: { force?: boolean }) => (await actions()).leave(o));
  return cmd;
}
