// `ros init`: the boot, stage by stage, run as tini's child (PID 1's only child). It never exits.
import { mkdirSync } from "node:fs";
import { saveTimeline, sinceBoot, type BootTimeline } from "../analyze/timeline.ts";
import { watchServices } from "../analyze/watch.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { loadBootConfig } from "./config.ts";
import { setHostname } from "./hostname.ts";
import { loadModules } from "./modules.ts";
import { mountFilesystems } from "./mounts.ts";
import { mountState } from "./state.ts";
import { loadLayers, mergeLayers, readCmdline } from "../../cloud-config/load.ts";
import { loopbackUp } from "./network.ts";
import { recoveryShell } from "./recovery.ts";
import { handleShutdownSignals, type Running } from "./shutdown.ts";
import { startSystemDocker } from "./system-docker.ts";
import { startServices } from "../services/start.ts";
import { linkUserDockerSocket } from "../../system-services/docker/socket.ts";
import { beginTrial, settleTrial } from "../upgrade/trial.ts";

const timeline: BootTimeline = { init: sinceBoot(), stages: [], services: {}, complete: false };

async function stage<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t = Date.now();
  const start = sinceBoot();
  const result = await fn();
  log("init", `${name} done (${Date.now() - t} ms)`);
  timeline.stages.push({ name, start, end: sinceBoot() });
  saveTimeline(timeline);
  return result;
}

export async function init(): Promise<void> {
  const startedAt = Date.now();
  log("init", "starting");
  const running: Running = {};
  handleShutdownSignals(running);
  process.on("uncaughtException", recoveryShell);
  // Keeps PID 1's child alive whatever the stages do.
  setInterval(() => undefined, 1 << 30);
  try {
    await stage("mounts", mountFilesystems);
    linkUserDockerSocket();
    await stage("modules", loadModules);
    await stage("network", loopbackUp);
    await stage("state", () => mountState(mergeLayers(loadLayers({ cmdline: readCmdline() })).rancher?.state));
    const trial = await beginTrial(startedAt);
    const config = await stage("config", loadBootConfig);
    await stage("hostname", () => log("init", `hostname ${setHostname(config.hostname)}`));
    mkdirSync(paths.home, { recursive: true });
    const sd = await stage("system-docker", startSystemDocker);
    running.docker = sd.docker;
    running.dockerd = sd.process;
    if (trial) void settleTrial(trial, sd.docker, config);
    const watch = watchServices(sd.docker, timeline);
    await stage("services", () => startServices(sd.docker, config));
    watch.stageDone();
    log("init", "boot complete");
  } catch (e) {
    recoveryShell(e);
  }
}
