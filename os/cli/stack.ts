// `ros stack …`: Compose (v3) files deployed as Docker Swarm stacks on the user Docker.
import { Command } from "commander";

const actions = () => import("./stack-actions.ts");
const collect = (v: string, all: string[]) => [...all, v];

export function stackCommand(): Command {
  const cmd = new Command("stack").description("Swarm stacks: Compose files run across the cluster (this node must be a manager)");
  cmd
    .command("deploy")
    .description("create or update a stack from a Compose file; unchanged services are left alone")
    .requiredOption("-c, --compose-file <file>", "the Compose (v3) file")
    .option("--var <NAME=VALUE>", "a value for ${NAME} in the file (repeatable; the environment fills the rest)", collect, [])
    .option("--prune", "remove the stack's services the file no longer has")
    .argument("<stack>", "the stack's name")
    .action(async (stack: string, o: { composeFile: string; var: string[]; prune?: boolean }) => (await actions()).deploy(stack, o));
  cmd.command("ls").description("the stacks and how many services each has").action(async () => (await actions()).ls());
  cmd.command("ps").description("the tasks of a stack: where each runs and its state").argument("<stack>").action(async (stack: string) => (await actions()).ps(stack));
  cmd.command("rm").description("remove a stack's services and networks (its volumes and their data stay)").argument("<stack>").action(async (stack: string) => (await actions()).rm(stack));
  cmd
    .command("scale")
    .description("set the replicas of services: STACK_SERVICE=N …")
    .argument("<service=replicas...>")
    .action(async (pairs: string[]) => (await actions()).scale(pairs));
  cmd
    .command("upgrade")
    .description("upgrade by clone: IMAGE runs beside the service, takes its traffic once healthy; the old one stands by")
    .argument("<service>", "STACK_SERVICE")
    .option("--image <image>", "the new image (already on every node)")
    .option("--confirm", "keep the upgrade: the service takes the new image and its traffic back, the clone goes")
    .option("--rollback", "undo the switch: the traffic goes back to the old service, the clone goes")
    .option("--timeout <seconds>", "how long the clone has to become healthy", "120")
    .option("--watch <seconds>", "how long the clone must stay healthy, before and after the switch", "5")
    .action(async (service: string, o: { image?: string; confirm?: boolean; rollback?: boolean; timeout: string; watch: string }) => (await actions()).upgrade(service, o));
  const catalog = cmd.command("catalog").description("stacks the repositories offer (index.yml stacks:, rancher.repositories)");
  catalog.command("list").description("the stacks on offer, and from which repository").option("-u, --update", "ask the repositories again rather than use their cached copies").action(async (o: { update?: boolean }) => (await actions()).catalogList(o));
  catalog.command("show").description("a stack's variables (with their defaults) and its Compose file").argument("<name>", "NAME or REPO/NAME").action(async (name: string) => (await actions()).catalogShow(name));
  catalog
    .command("deploy")
    .description("deploy a stack from the catalog, its variables filled from their defaults and --var")
    .argument("<name>", "NAME or REPO/NAME")
    .option("--var <NAME=VALUE>", "a value for one of the stack's variables (repeatable)", collect, [])
    .option("--as <stack>", "the deployed stack's name (the entry's name by default)")
    .action(async (name: string, o: { var: string[]; as?: string }) => (await actions()).catalogDeploy(name, o));
  return cmd;
}
