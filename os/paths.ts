// Every host path Corral touches, relative to ROS_ROOT ("/" on a booted host), so the CLI, init
// and the tests can run against a directory tree instead of a real root.
import { join } from "node:path";

export const ROS_ROOT = process.env.ROS_ROOT ?? "/";

const p = (rel: string) => join(ROS_ROOT, rel);

export const paths = {
  osConfig: p("/usr/share/ros/os-config.yml"),
  modules: p("/lib/modules"),
  /** The modules loaded at every boot, in load order (the build writes it). */
  etcModules: p("/etc/modules"),
  oemConfig: p("/usr/share/ros/oem/oem-config.yml"),
  confDir: p("/var/lib/rancher/conf"),
  cloudConfigD: p("/var/lib/rancher/conf/cloud-config.d"),
  bootConfig: p("/var/lib/rancher/conf/cloud-config.d/boot.yml"),
  cloudConfig: p("/var/lib/rancher/conf/cloud-config.yml"),
  /** Last good copy of every config file, kept to stand in when the file itself goes bad. */
  lastGoodDir: p("/var/lib/rancher/conf/.last-good"),
  /** A `#!` user-data script, run by the cloud-init service. */
  cloudConfigScript: p("/var/lib/rancher/conf/cloud-config-script"),
  /** Instance metadata from the datasource that answered (JSON), for `$private_ipv4`-style values. */
  metadata: p("/var/lib/rancher/conf/metadata.json"),
  procCmdline: p("/proc/cmdline"),
  datasourceMount: p("/run/ros/datasource"),
  systemDockerSock: p("/var/run/system-docker.sock"),
  systemDockerRoot: p("/var/lib/system-docker"),
  systemDockerExec: p("/var/run/system-docker"),
  systemDockerPid: p("/var/run/system-docker.pid"),
  systemDockerLog: p("/var/log/system-docker.log"),
  /** The user Docker: its socket is a symlink into the folder the `docker` service shares with the host. */
  userDockerSock: p("/var/run/docker.sock"),
  userDockerRun: p("/var/run/user-docker"),
  /** The socket itself: every container that binds the folder sees it, the link or not. */
  userDockerSocket: p("/var/run/user-docker/docker.sock"),
  userDockerRoot: p("/var/lib/docker"),
  /** The catalog shipped in the image, and what remote catalogs (rancher.repositories) last served. */
  defaultCatalog: p("/usr/share/ros/catalog"),
  catalogCache: p("/var/lib/rancher/cache"),
  /** What the supervisor knows beyond Docker's own state (health restarts, crash loops), per scope. */
  serviceState: p("/run/ros/services"),
  proc: p("/proc"),
  osRelease: p("/proc/sys/kernel/osrelease"),
  procMounts: p("/proc/mounts"),
  run: p("/run"),
  varRun: p("/var/run"),
  hostnameProc: p("/proc/sys/kernel/hostname"),
  etcHostname: p("/etc/hostname"),
  etcHosts: p("/etc/hosts"),
  sys: p("/sys"),
  dev: p("/dev"),
  home: p("/home"),
  sshdRun: p("/run/sshd"),
  /** DNS for every process on the host, written by the network service. */
  resolvConf: p("/etc/resolv.conf"),
  /** Proxy settings (rancher.network.http_proxy…) as KEY=value lines other services read. */
  environment: p("/etc/environment"),
  /** The network service's runtime state: its PID, its DHCP clients, the DNS their servers gave. */
  networkRun: p("/run/ros/network"),
  /** cloud-init: what each stage did (JSON), its once-per-boot markers, its once-per-instance markers. */
  cloudInitReport: p("/run/ros/cloud-init.json"),
  /** When each boot stage ran and each system service started and turned ready (ros analyze boot). */
  bootTimeline: p("/run/ros/boot-timeline.json"),
  cloudInitBoot: p("/run/ros/cloud-init"),
  cloudInitInstances: p("/var/lib/rancher/conf/cloud-init/instances"),
  bootId: p("/proc/sys/kernel/random/boot_id"),
  procSys: p("/proc/sys"),
  /** The host's mount namespace and mounts, seen from a container sharing the host's PIDs. */
  hostMountNs: p("/proc/1/ns/mnt"),
  hostMounts: p("/proc/1/mounts"),
  /** The host's root as init sees it: a container sharing the host's PIDs reaches host files there. */
  hostRoot: p("/proc/1/root"),
  etcPasswd: p("/etc/passwd"),
  etcGroup: p("/etc/group"),
  sudoersD: p("/etc/sudoers.d"),
  /** Rendered from the config at each console start (sshd reads only this file). */
  sshdConfig: p("/etc/ssh/sshd_config"),
  /** sshd writes it once its port is bound. */
  sshdPid: p("/run/sshd.pid"),
  /** The console's readiness for its health check: sshd's PID file, or empty when it runs no sshd. */
  consoleReady: p("/run/console.ready"),
  /** SSH host keys, kept with the config so they outlive the console container. */
  sshHostKeys: p("/var/lib/rancher/conf/ssh"),
  /** chronyd's estimate of the clock's drift, kept across boots so it locks on faster. */
  chronyDrift: p("/var/lib/chrony/chrony.drift"),
  /** The journal service's files (on the state disk once installed), its syslog socket, the kernel's log. */
  journal: p("/var/log/journal"),
  devLog: p("/dev/log"),
  kmsg: p("/dev/kmsg"),
  /** A systemd journald's stream socket, on a development host that runs one. */
  journaldStdout: p("/run/systemd/journal/stdout"),
  /** The state partition (LABEL=RANCHER_STATE) once init has mounted it; see persistedDirs. */
  stateMount: p("/run/state"),
  /** The boot medium (the ISO) and the disk's partitions while ros install writes them. */
  installRun: p("/run/ros/install"),
  sysBlock: p("/sys/class/block"),
  sysClassNet: p("/sys/class/net"),
  /** What the last upgrade came to (staged, committed, failed, fell back, rolled back): on the state partition, seen by init and the console. */
  upgradeRecord: p("/var/lib/rancher/conf/upgrade/last.json"),
  devWatchdog: p("/dev/watchdog"),
  /** The agent's view of this node's swarm membership (JSON), for `ros agent status`. */
  agentState: p("/run/ros/agent/state.json"),
  /** Written by `ros agent leave`: the agent does not join again until the next boot. */
  agentLeft: p("/run/ros/agent/left"),
  selfMounts: p("/proc/self/mounts"),
  /** The host API's Unix socket (root only), served by the agent. */
  corralSocket: p("/var/run/corral.sock"),
  /** `ros tls gen`'s default folder, and the API's for TCP with mutual TLS (rancher.agent.api.tls_dir). */
  apiTls: p("/var/lib/rancher/conf/tls"),
  /** A config change made with mode `try`, until it is confirmed or reverted: kept on disk so a restart or reboot still reverts it. */
  configTry: p("/var/lib/rancher/conf/.try.json"),
  /** Config changes made with mode `next-boot`: init writes them into cloud-config.yml before it reads the config. */
  nextBootConfig: p("/var/lib/rancher/conf/next-boot.json"),
  /** `ros volume snapshot`'s archives (NAME/TIME.tar and its .sha256), on the state partition once installed. */
  volumeSnapshots: p("/var/lib/rancher/volumes"),
};

/**
 * What an installed host keeps across reboots: these folders live on the state partition, at the
 * same path under it, and are bound over the initrd's own.
 */
export const persistedDirs = ["/var/lib/rancher", "/var/lib/docker", "/var/lib/system-docker", "/home", "/opt", "/var/log"] as const;

/**
 * Where a host path named in a service definition lives. Corral's own state (config, logs, Docker
 * data, sockets, homes) is under ROS_ROOT; kernel interfaces and the machine's binaries are not.
 */
const ROOTED = ["/var", "/run", "/home", "/opt", "/usr/share/ros", "/etc", "/root"];
export function hostPath(path: string): string {
  return ROOTED.some((r) => path === r || path.startsWith(`${r}/`)) ? p(path) : path;
}

