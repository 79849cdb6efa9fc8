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

/** Copies the modules `names` need (with dependencies) into `dest` and indexes them with depmod. */
export async function installModules(k: Kernel, names: string[], dest: string): Promise<void> {
  const files = new Set<string>();
  for (const name of names) {
    const { stdout } = await run("modprobe", ["-d", k.root, "-S", k.version, "--show-depends", name]);
    for (const line of stdout.split("\n")) {
      const m = /^insmod (\S+)/.exec(line);
      if (m) files.add(m[1]!);
    }
  }
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
}
