// `ros agent-init`, the agent service's entry: keeps this host's user Docker in the swarm that
// rancher.agent.swarm names (agent.ts), until stopped.
import Docker from "dockerode";
import { loadConfig } from "../../cloud-config/load.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { runAgent } from "./agent.ts";

export async function agentInit(): Promise<void> {
  const stop = new AbortController();
  for (const s of ["SIGTERM", "SIGINT"] as const) process.on(s, () => stop.abort());
  const docker = new Docker({ socketPath: paths.userDockerSocket });
  log("agent", `user Docker at ${paths.userDockerSocket}`);
  await runAgent({ docker, swarm: () => loadConfig().config.rancher?.agent?.swarm, signal: stop.signal });
  log("agent", "stopped (the node stays in the swarm; `ros agent leave` leaves it)");
}
