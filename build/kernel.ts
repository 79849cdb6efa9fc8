// Debian's amd64 kernel: vmlinuz, and the modules a given list needs, dependencies included.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../os/exec.ts";
import { resolveDebs } from "./apt.ts";
import { cacheDir } from "./cache.ts";

export interface Kernel { version: string; root: string; vmlinuz: string; deb: string }

export async function fetchKernel(): Promise<Kernel> {
  const debs = await resolveDebs(["linux-image-amd64"]);
  const deb = debs.find((d) => /^linux-image-\d.*-amd64$/.test(d.name));
  if (!deb) throw new Error("apt resolved no linux-image-*-amd64 package");
  const version = deb.name.replace(/^linux-image-/, "");
  const root = join(cacheDir("kernel"), version);
  if (!existsSync(join(root, ".done"))) {
    rmSync(root, { recursive: true, force: true });
    const tmp = `${root}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    await run("dpkg-deb", ["-x", deb.file, tmp]);
    // The package's postinst would have indexed the modules; modprobe -d needs that index.
    await run("depmod", ["-b", tmp, version]);
    await run("touch", [join(tmp, ".done")]);
    renameSync(tmp, root);
  }
  return { version, root, vmlinuz: join(root, "boot", `vmlinuz-${version}`), deb: deb.file };
}

/** A module's name as the kernel and modprobe know it: its file's, with "_" for "-". */
export const moduleName = (file: string) => file.split("/").pop()!.replace(/\.ko(\.\w+)?$/, "").replace(/-/g, "_");

/**
 * The module files `modprobe --show-depends` lists, in its order (what a module needs, soft
 * dependencies included, before the module), each once: the order to load them in.
 */
export function loadOrder(showDepends: string[]): string[] {
  const files = new Set<string>();
  for (const line of showDepends.join("\n").split("\n")) {
    const m = /^insmod (\S+)/.exec(line);
    if (m) files.add(m[1]!);
  }
  return [...files];
}

const showDepends = async (k: Kernel, name: string) => (await run("modprobe", ["-d", k.root, "-S", k.version, "--show-depends", name])).stdout;

/**
 * Copies the modules `load` and `ship` need into `dest` and indexes them with depmod. Returns the
 * names of `load`'s closure in load order: busybox's modprobe, the one at boot, follows modules.dep
 * but not soft dependencies (libcrc32c's crc32c), so boot loads this list in this order. `ship`'s
 * modules (drivers) are only copied: they load for the devices that need them.
 */
export async function installModules(k: Kernel, load: string[], ship: string[], dest: string): Promise<string[]> {
  const loaded = loadOrder(await Promise.all(load.map((n) => showDepends(k, n))));
  const files = new Set([...loaded, ...loadOrder(await Promise.all(ship.map((n) => showDepends(k, n))))]);
  const modRoot = `lib/modules/${k.version}`;
  for (const f of files) {
    const rel = f.slice(f.indexOf(modRoot));
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    copyFileSync(f, join(dest, rel));
  }
  for (const meta of readdirSync(join(k.root, modRoot)).filter((f) => /^modules\.(builtin|order)/.test(f))) {
    copyFileSync(join(k.root, modRoot, meta), join(dest, modRoot, meta));
  }
  await run("depmod", ["-b", dest, k.version]);
  return [...new Set(loaded.map(moduleName))];
}
