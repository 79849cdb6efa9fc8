// `ros cloud-init-apply`, the cloud-init service's entry: the part of cloud-config that acts on the
// host itself, from a oneshot container in the host's namespaces: rancher.modules, then
// rancher.sysctl (a key may need a module), then mounts, then write_files aimed at system
// containers. The rest is applied in the console (console.ts). It exits 0 once it has reported,
// whatever failed: a bad entry is the user's to fix, not a reason to hold back the console.
import Docker from "dockerode";
import { loadConfig } from "../../cloud-config/load.ts";
import type { CloudConfig, WriteFile } from "../../cloud-config/schema/index.ts";
import { paths } from "../../os/paths.ts";
import { writeContainerFile } from "./container-files.ts";
import { loadModule } from "./modules.ts";
import { mountEntry, mountOnHost } from "./mounts.ts";
import { Reporter, type Action } from "./report.ts";
import { setSysctl } from "./sysctl.ts";

export async function applyOnHost(config: CloudConfig, docker = new Docker({ socketPath: paths.systemDockerSock })): Promise<Action[]> {
  const report = new Reporter("host");
  for (const m of config.rancher?.modules ?? []) await report.step(`module ${m}`, () => loadModule(m));
  for (const [key, value] of Object.entries(config.rancher?.sysctl ?? {})) await report.step(`sysctl ${key}`, () => setSysctl(key, value));
  for (const [i, fields] of (config.mounts ?? []).entries()) {
    await report.step(`mount ${fields[1] ?? `entry ${i + 1}`}`, async () => {
      const entry = mountEntry(fields, config.mount_default_fields);
      return entry ? mountOnHost(entry) : "no mount point: nothing to mount";
    });
  }
  const inContainers = (config.write_files ?? []).filter((f): f is WriteFile & { container: string } => !!f.container);
  for (const f of inContainers) await report.step(`write_files ${f.container}:${f.path}`, () => writeContainerFile(docker, f));
  report.finish();
  return report.actions;
}

export async function cloudInitApply(): Promise<void> {
  await applyOnHost(loadConfig().config);
}
