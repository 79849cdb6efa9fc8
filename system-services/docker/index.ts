// `ros docker-init`, the `docker` service's entry: dockerd for the user's containers, with its
// arguments rendered from rancher.docker, signals passed on, and its exit code as ours.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../../cloud-config/load.ts";
import { atomicWrite } from "../../os/atomic-write.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { dockerdCommand, type DockerdLocations } from "./dockerd-args.ts";
import { linkUserDockerSocket } from "./socket.ts";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/** Inside the service's container: the exec root and pidfile are its own, not the host's. */
function locations(): DockerdLocations {
  return {
    socket: paths.userDockerSocket,
    dataRoot: paths.userDockerRoot,
    execRoot: join(paths.varRun, "docker"),
    pidFile: join(paths.varRun, "docker.pid"),
    // In the container's own layer: written from the config at every start.
    tlsDir: "/etc/docker/tls",
  };
}

export async function dockerInit(): Promise<void> {
  const at = locations();
  const { config } = loadConfig();
  const cmd = dockerdCommand(config.rancher?.docker, at);
  for (const w of cmd.warnings) log("docker", w);
  for (const f of cmd.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    atomicWrite(f.path, f.content, f.mode);
  }
  // With the host's PID namespace a stale PID file can name a live, unrelated process: dockerd
  // would refuse to start, or wait for a containerd that is not there. Only this container's
  // daemons write them, and none of them runs yet.
  for (const f of cmd.pidFiles) rmSync(f, { force: true });
  linkUserDockerSocket();

  log("docker", `dockerd ${cmd.args.join(" ")}`);
  const child = spawn("dockerd", cmd.args, { stdio: "inherit", env: { ...process.env, ...cmd.env } });
  for (const s of FORWARDED) process.on(s, () => child.kill(s));
  child.on("error", (e) => {
    log("docker", `dockerd: ${e.message}`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    log("docker", `dockerd exited (${signal ?? code})`);
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}
