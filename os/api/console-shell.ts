// What a remote shell runs on a host: a login shell in the console container's namespaces, as
// SSH or the serial console gives (the rancher user by default), entered with nsenter from the
// agent, which shares the host's PIDs.
import Docker from "dockerode";
import { paths } from "../paths.ts";
import type { ShellCommand } from "./shell.ts";

export const consoleShell: ShellCommand = async (user) => {
  const info = await new Docker({ socketPath: paths.systemDockerSock }).getContainer("console").inspect().catch(() => undefined);
  const pid = info?.State.Running ? info.State.Pid : 0;
  if (!pid) throw new Error("the console is not running (`ros service ps` shows why); a shell needs it");
  return ["nsenter", ["-t", String(pid), "-a", "--", "su", "-l", user]];
};
