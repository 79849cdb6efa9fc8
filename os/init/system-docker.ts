// Starts the system Docker: the daemon whose containers are the OS's own services.
import { startDockerd, type Dockerd } from "../docker.ts";
import { paths } from "../paths.ts";

const READY_TIMEOUT_MS = 180_000;

export function startSystemDocker(): Promise<Dockerd> {
  return startDockerd({
    socket: paths.systemDockerSock,
    args: [
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
    ],
    log: paths.systemDockerLog,
    // runc cannot pivot_root from an initramfs root.
    env: { ...process.env, DOCKER_RAMDISK: "true" },
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
}
