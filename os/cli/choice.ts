// `ros console …` and `ros engine …`: the catalog's consoles and user-Docker engines, and which one
// this host runs. The work is in choice-actions.ts, loaded only when one of these commands runs.
import { Command } from "commander";
import type { Choice } from "./choice-actions.ts";

const actions = () => import("./choice-actions.ts");
const HELP = { console: "the console (where SSH and tty logins land)", engine: "the engine running the user Docker" };

export function choiceCommand(what: Choice): Command {
  const cmd = new Command(what).description(`list and switch ${HELP[what]}`);
  cmd.command("list").alias("ls").description(`the catalog's ${what}s, and the current one`).action(async () => (await actions()).list(what));
  cmd
    .command("switch")
    .description(`use another ${what} now (and from now on)`)
    .argument("<name>")
    .option("-f, --force", "do not ask for confirmation")
    .action(async (name: string, o: { force?: boolean }) => (await actions()).switchTo(what, name, o));
  cmd
    .command("enable")
    .description(`use another ${what} from the next boot`)
    .argument("<name>")
    .action(async (name: string) => (await actions()).enable(what, name));
  return cmd;
}
