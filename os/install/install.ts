// ros install: lays out the disk (layout.ts), installs GRUB for BIOS and UEFI, writes the booted
// medium's kernel and initrd into slot A, and puts the cloud-config on the state partition. Every
// check (the config, the disk) runs before the first write.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { checkInput } from "../../cloud-config/check.ts";
import { errorsIn, formatDiagnostic } from "../../cloud-config/diagnostics.ts";
import { run } from "../exec.ts";
import { paths, persistedDirs, ROS_ROOT } from "../paths.ts";
import { Progress } from "../progress.ts";
import { VERSION } from "../version.ts";
import { findBootMedium, mediumFiles } from "./boot-medium.ts";
import { withMount } from "./mount.ts";
import { grubCfg } from "./grub-cfg.ts";
import { serializeGrubEnv } from "./grubenv.ts";
import { GRUB_DIR, LABELS, PARTITIONS, partition, partitionDevice, sfdiskScript, type Slot } from "./layout.ts";
import { writeSlotRelease } from "./slot-release.ts";
import { checkTargetDisk, InstallRefused } from "./target-disk.ts";

export interface InstallOptions {
  device: string;
  /** A cloud-config file; without one, the running host's own (cloud-config.d and cloud-config.yml). */
  cloudConfig?: string;
  kernelArgs?: string;
  /** Asked before the disk is erased; false stops the install with nothing written. */
  confirm: (question: string) => Promise<boolean>;
}

/** A host path as it sits on the state partition (the same path under its root). */
const onState = (hostFile: string) => relative(ROS_ROOT, hostFile);

/** Where the installed host's user config goes (RancherOS's name for it). */
export const INSTALLED_CONFIG = onState(join(paths.cloudConfigD, "user_config.yml"));

/** The config files to install: the given one (checked), or the running host's. */
async function configFiles(file: string | undefined): Promise<[string, Buffer][]> {
  if (file === undefined) {
    const d = existsSync(paths.cloudConfigD) ? readdirSync(paths.cloudConfigD).filter((f) => f.endsWith(".yml")).sort() : [];
    const own: [string, Buffer][] = d.map((f) => [onState(join(paths.cloudConfigD, f)), readFileSync(join(paths.cloudConfigD, f))]);
    if (existsSync(paths.cloudConfig)) own.push([onState(paths.cloudConfig), readFileSync(paths.cloudConfig)]);
    return own;
  }
  if (!existsSync(file)) throw new InstallRefused(`${file}: no such file (the cloud-config to install)`);
  const data = readFileSync(file);
  const errors = errorsIn(await checkInput(data, file));
  if (errors.length) throw new InstallRefused(["the cloud-config has errors; nothing was written (fix them, then run ros install again):", ...errors.map(formatDiagnostic)].join("\n  "));
  return [[INSTALLED_CONFIG, data]];
}

async function waitForPartitions(disk: string): Promise<void> {
  await run("partx", ["-u", disk]).catch(() => undefined);
  const until = Date.now() + 10_000;
  while (!PARTITIONS.every((p) => existsSync(partitionDevice(disk, p.index)))) {
    if (Date.now() > until) throw new Error(`the kernel shows no partitions on ${disk} 10 s after partitioning it`);
    await sleep(200);
  }
}

export async function install(o: InstallOptions): Promise<void> {
  const config = await configFiles(o.cloudConfig);
  const device = await findBootMedium();
  const disk = checkTargetDisk(o.device, device);
  await withMount(device, "medium", async (mediumDir) => {
    const medium = mediumFiles(device, mediumDir);
    if (!(await o.confirm(`This erases everything on ${o.device} (${(disk.bytes / 2 ** 30).toFixed(1)} GiB) and installs Corral ${VERSION}. Continue?`))) throw new InstallRefused("not confirmed; nothing was written");
    const dev = (name: string) => partition(o.device, name);
    const slot: Slot = "A";
    const progress = new Progress(6, "install");
    await progress.step(`partitioning ${o.device}`, async () => {
      await run("wipefs", ["-a", "-q", o.device]);
      await run("sfdisk", ["-q", "-W", "always", o.device], { input: sfdiskScript() });
      await waitForPartitions(o.device);
    });
    await progress.step("formatting", async () => {
      for (const p of PARTITIONS) {
        const d = partitionDevice(o.device, p.index);
        if (p.fs === "vfat") await run("mkfs.vfat", ["-F", "32", "-n", p.label!, d]);
        if (p.fs === "ext4") await run("mkfs.ext4", ["-q", "-F", "-L", p.label!, d]);
      }
    });
    await progress.step("installing GRUB (BIOS and UEFI)", () =>
      withMount(dev("EFI"), "efi", async (efi) => {
        // grub-install puts its files in grub/ under the boot directory.
        const boot = join(efi, GRUB_DIR, "..");
        await run("grub-install", ["--target=i386-pc", `--boot-directory=${boot}`, o.device]);
        await run("grub-install", ["--target=x86_64-efi", `--efi-directory=${efi}`, `--boot-directory=${boot}`, "--removable", "--no-nvram"]);
        writeFileSync(join(efi, GRUB_DIR, "grub.cfg"), grubCfg(o.kernelArgs ?? ""));
        writeFileSync(join(efi, GRUB_DIR, "grubenv"), serializeGrubEnv({ default_slot: slot }));
      }),
    );
    await progress.step(`writing Corral ${VERSION} to slot ${slot}`, () =>
      withMount(dev(LABELS.slot(slot)), "slot", async (dir) => {
        copyFileSync(medium.kernel, join(dir, "vmlinuz"));
        copyFileSync(medium.initrd, join(dir, "initrd"));
        writeSlotRelease(dir, { version: VERSION, written: new Date().toISOString(), by: "install" });
      }),
    );
    await progress.step("writing the config to the state partition", () =>
      withMount(dev(LABELS.state), "state", async (dir) => {
        for (const d of persistedDirs) mkdirSync(join(dir, d), { recursive: true });
        for (const [rel, data] of config) {
          mkdirSync(join(dir, rel, ".."), { recursive: true });
          writeFileSync(join(dir, rel), data, { mode: 0o600 });
        }
      }),
    );
    await progress.step("syncing", () => run("sync", []).then(() => undefined));
    progress.finish();
  }, { readOnly: true });
}
