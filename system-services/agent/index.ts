// `ros agent-init`, the agent service's entry: serves the host API (os/api/) on the root-only Unix
// socket, on TCP with mutual TLS when rancher.agent.api.listen is set, and through the tunnel to
// rancher.agent.url when that is set (tunnel.ts); and keeps this host's user Docker in the swarm
// that rancher.agent.swarm names (agent.ts), until stopped.
import Docker from "dockerode";
import { loadConfig } from "../../cloud-config/load.ts";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { Api } from "../../os/api/server.ts";
import { apiTlsDir } from "../../os/api/tls-dir.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { runAgent } from "./agent.ts";
import { deployConfiguredStacks } from "./stacks.ts";
import { runTunnel } from "./tunnel.ts";

async function serveApi(c: CloudConfig): Promise<Api> {
  const api = new Api();
  // Nor does a socket that cannot be made stop the swarm's upkeep.
  await api.listenUnix(paths.corralSocket).then(
    () => log("agent", `host API on ${paths.corralSocket}`),
    (e: Error) => log("agent", `error: the host API is not on ${paths.corralSocket}: ${e.message}`),
  );
  const listen = c.rancher?.agent?.api?.listen;
  // A listener that cannot start (no certificates yet, a taken port) leaves the socket and the swarm working.
  if (listen) {
    const dir = apiTlsDir(c);
    await api.listenTls(listen, dir).then(
      () => log("agent", `host API on ${listen} (mutual TLS, certificates in ${dir})`),
      (e: Error) => log("agent", `error: the host API is not on ${listen}: ${e.message} (\`ros tls gen\` writes the certificates)`),
    );
  }
  return api;
}

export async function agentInit(): Promise<void> {
  const stop = new AbortController();
  for (const s of ["SIGTERM", "SIGINT"] as const) process.on(s, () => stop.abort());
  const c = loadConfig().config;
  const api = await serveApi(c);
  const a = c.rancher?.agent;
  const tunnel = a?.url ? runTunnel({ url: a.url, token: a.token, caFile: a.ca_file, api, signal: stop.signal, log: (m) => log("agent", m) }) : undefined;
  const docker = new Docker({ socketPath: paths.userDockerSocket });
  log("agent", `user Docker at ${paths.userDockerSocket}`);
  await runAgent({ docker, swarm: () => loadConfig().config.rancher?.agent?.swarm, stacks: () => deployConfiguredStacks(docker, loadConfig().config, (m) => log("agent", m)), signal: stop.signal });
  await tunnel;
  await api.close();
  log("agent", "stopped (the node stays in the swarm; `ros agent leave` leaves it)");
}
