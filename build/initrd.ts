// Assembles the initramfs: the initrd image's packages, busybox applets, the ros bundle, kernel
// modules, the default config and the system Docker's data root with the preloaded images; packed
// as a newc cpio compressed with zstd.
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../os/exec.ts";
import type { ImageDef } from "./image-def.ts";
import { installModules, type Kernel } from "./kernel.ts";
import type { Deb } from "./apt.ts";
import { unpack } from "./rootfs.ts";
import { installBundle } from "./bundle.ts";

export interface InitrdInputs {
  def: ImageDef;
  debs: Deb[];
  picked: Deb[];
  kernel: Kernel;
  bundle: string;
  osConfig: string;
  /** The core catalog's folder. */
  catalog: string;
  /** The system Docker's data root, made by build/system-docker-root.ts. */
  systemDockerRoot: string;
}

const APPLET_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin"];

async function linkBusyboxApplets(root: string): Promise<void> {
  const { stdout } = await run(join(root, "bin/busybox"), ["--list"]);
  for (const applet of stdout.split("\n").filter(Boolean)) {
    if (APPLET_DIRS.some((d) => existsSync(join(root, d, applet)))) continue;
    symlinkSync("busybox", join(root, "bin", applet));
  }
}

export async function buildInitrd(x: InitrdInputs, work: string, out: string): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  await unpack(x.def, x.debs, x.picked, work);
  await linkBusyboxApplets(work);
  installBundle(x.bundle, join(work, "usr/lib/ros"), "ros.mjs");
  rmSync(join(work, "usr/bin/ros"), { force: true });
  symlinkSync("../lib/ros/ros.mjs", join(work, "usr/bin/ros"));
  mkdirSync(join(work, "usr/share/ros"), { recursive: true });
  copyFileSync(x.osConfig, join(work, "usr/share/ros/os-config.yml"));
  cpSync(x.catalog, join(work, "usr/share/ros/catalog"), { recursive: true });
  for (const d of ["proc", "sys", "dev", "run", "tmp", "var/lib", "var/log", "home", "root", "mnt", "media"]) mkdirSync(join(work, d), { recursive: true });
  await run("cp", ["-a", x.systemDockerRoot, join(work, "var/lib/system-docker")]);
  const order = await installModules(x.kernel, x.def.modules, x.def.drivers, work);
  writeFileSync(join(work, "etc/modules"), `# Loaded at boot in this order, each after what it needs (written by the build).\n${order.join("\n")}\n`);
  // The images share Node.js and Debian's libraries with the initrd and with each other: one copy
  // each in the archive and in RAM (the kernel's unpacker keeps hard links). Only where nothing
  // writes in place: programs, libraries and image layers (overlayfs copies up before a write).
  await run("hardlink", ["--quiet", "--ignore-time", "usr", "lib", "var/lib/system-docker/overlay2"], { cwd: work });
  // zstd, not lz4: under TCG, GRUB reads the initrd off the CD at a few MB/s, so the third
  // smaller file saves more time than the slower decompression costs.
  // Owners are kept: the build runs as root, and image layers hold files of other users.
  const list = (await run("find", [".", "-mindepth", "1"], { cwd: work })).stdout;
  await run("sh", ["-c", `cpio --quiet -o -H newc | zstd -q -3 -T0 -c > '${out}.tmp' && mv '${out}.tmp' '${out}'`], { cwd: work, input: list });
  if (!readdirSync(work).includes("init")) throw new Error("initrd has no /init");
}
