// Starts the system Docker: the daemon whose containers are the OS's own services.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type Docker from "dockerode";
import { systemDocker, waitForDocker } from "../docker.ts";
import { paths } from "../paths.ts";

const READY_TIMEOUT_MS = 180_000;

export function systemDockerArgs(): string[] {
  return [
    `--host=unix://${paths.systemDockerSock}`,
    `--data-root=${paths.systemDockerRoot}`,
    `--exec-root=${paths.systemDockerExec}`,
    `--pidfile=${paths.systemDockerPid}`,
    "--storage-driver=overlay2",
    // System services use the host's network: no bridge, no NAT rules.
    "--bridge=none",
    "--iptables=false",
    "--ip-masq=false",
    "--userland-proxy=false",
    "--group=root",
  ];
}

export interface SystemDocker { docker: Docker; process: ChildProcess }

export async function startSystemDocker(): Promise<SystemDocker> {
  mkdirSync(dirname(paths.systemDockerLog), { recursive: true });
  const out = openSync(paths.systemDockerLog, "a");
  const child = spawn("dockerd", systemDockerArgs(), {
    stdio: ["ignore", out, out],
    // runc cannot pivot_root from an initramfs root.
    env: { ...process.env, DOCKER_RAMDISK: "true" },
  });
  let exited = false;
  child.on("exit", () => (exited = true));
  const docker = systemDocker();
  await waitForDocker(docker, READY_TIMEOUT_MS, () => !exited);
  return { docker, process: child };
}
