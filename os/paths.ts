// Every host path Corral touches, relative to ROS_ROOT ("/" on a booted host), so the CLI, init
// and the tests can run against a directory tree instead of a real root.
import { join } from "node:path";

export const ROS_ROOT = process.env.ROS_ROOT ?? "/";

const p = (rel: string) => join(ROS_ROOT, rel);

export const paths = {
  osConfig: p("/usr/share/ros/os-config.yml"),
  preloadImages: p("/usr/share/ros/images.tar"),
  modules: p("/lib/modules"),
  bootConfig: p("/var/lib/rancher/conf/cloud-config.d/boot.yml"),
  datasourceMount: p("/run/ros/datasource"),
  systemDockerSock: p("/var/run/system-docker.sock"),
  systemDockerRoot: p("/var/lib/system-docker"),
  systemDockerExec: p("/var/run/system-docker"),
  systemDockerPid: p("/var/run/system-docker.pid"),
  systemDockerLog: p("/var/log/system-docker.log"),
  preloadedMarker: p("/var/lib/system-docker/.ros-preloaded"),
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
};
