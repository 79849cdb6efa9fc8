// `npm run build:image`: images/*/image.yml + Debian packages + the bundle -> image tarballs,
// vmlinuz, initrd and the ISO in dist/. Every step is cached by the content of its inputs.
import { createPublicKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, mkdtempSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, bundleFiles, installBundle, version } from "./bundle.ts";
import { CACHE, DIST, cacheDir, cached, hash } from "./cache.ts";
import { writeDockerArchive, type BuiltImage, type Layer } from "./docker-archive.ts";
import { imageNames, readImageDef, type ImageDef } from "./image-def.ts";
import { buildInitrd } from "./initrd.ts";
import { buildIso } from "./iso.ts";
import { upgradeSigningKey, writeUpgradeImage } from "./upgrade-image.ts";
import { buildSystemDockerRoot } from "./system-docker-root.ts";
import { fetchKernel } from "./kernel.ts";
import { packLayer } from "./layer.ts";
import { writeOsConfig } from "./os-config.ts";
import { copyNativeModules, nativeModulesKey } from "./native-modules.ts";
import { writeCoreCatalog } from "./catalog.ts";
import { Progress } from "../os/progress.ts";
import { imageDebs, pickedDebs, unpack } from "./rootfs.ts";
import type { Deb } from "./apt.ts";

export const ARTIFACTS = {
  vmlinuz: join(DIST, "vmlinuz"),
  initrd: join(DIST, "initrd"),
  iso: join(DIST, "corral.iso"),
  /** What ros os upgrade takes (build/upgrade-image.ts). */
  upgrade: join(DIST, "corral-upgrade.tar"),
  images: join(DIST, "images"),
};

/** The system Docker's data root holding the preloaded images, as the initrd carries it (one per version: images are tagged with it). */
export const systemDockerRootOf = (ver: string) => join(CACHE, "system-docker-roots", ver);

interface Built extends BuiltImage { packages: Set<string> }

async function layer(name: string, key: string, createdBy: string, fill: (dir: string) => Promise<void>): Promise<Layer> {
  const file = join(cacheDir("layers"), `${name}.tar`);
  await cached(file, key, async () => {
    const dir = mkdtempSync(join(CACHE, "rootfs-"));
    try {
      await fill(dir);
      writeFileSync(`${file}.diffid`, await packLayer(dir, file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return { file, diffId: readFileSync(`${file}.diffid`, "utf8"), createdBy };
}

const debKey = (debs: Deb[]) => debs.map((d) => basename(d.file));

async function buildImage(def: ImageDef, parent: Built | undefined, bundlePath: string, ver: string): Promise<Built> {
  const parentPkgs = parent?.packages ?? new Set<string>();
  const debs = await imageDebs(def, parentPkgs);
  const picked = await pickedDebs(def);
  const layers = [...(parent?.layers ?? [])];
  if (debs.length || picked.length || def.files.length) {
    const key = hash(def.source, ...debKey(debs), ...debKey(picked));
    layers.push(await layer(`${def.name}-packages`, key, `corral build: ${def.name} packages`, (dir) => unpack(def, debs, picked, dir)));
  }
  if (def.bundle) {
    const key = hash(...bundleFiles(bundlePath).map((f) => readFileSync(f)), ...nativeModulesKey());
    layers.push(await layer(`${def.name}-bundle`, key, "corral build: ros bundle", async (dir) => {
      mkdirSync(join(dir, "usr/lib/ros"), { recursive: true });
      copyNativeModules(join(dir, "usr/lib/ros/node_modules"));
      mkdirSync(join(dir, "usr/bin"), { recursive: true });
      installBundle(bundlePath, join(dir, "usr/lib/ros"), "ros.mjs");
      symlinkSync("../lib/ros/ros.mjs", join(dir, "usr/bin/ros"));
    }));
  }
  const config = { ...(parent?.config ?? {}), ...def.config };
  return { repoTag: `corral/${def.name}:${ver}`, layers, config, packages: new Set([...parentPkgs, ...debs.map((d) => d.name)]) };
}

async function writeArchive(images: Built[], out: string): Promise<void> {
  const key = hash(...images.flatMap((i) => [i.repoTag, JSON.stringify(i.config), ...i.layers.map((l) => l.diffId)]));
  await cached(out, key, () => writeDockerArchive(images, out));
}

export async function buildAll(): Promise<typeof ARTIFACTS> {
  mkdirSync(ARTIFACTS.images, { recursive: true });
  const ver = version();
  const defs = imageNames().map(readImageDef);
  const imageDefs = defs.filter((d) => d.kind === "image");
  const initrdDef = defs.find((d) => d.kind === "initrd");
  if (!initrdDef) throw new Error("images/: no image.yml with kind: initrd");
  const progress = new Progress(imageDefs.length + 7);

  const bundlePath = await progress.step("bundle dist/ros.mjs", bundle);
  const built = new Map<string, Built>();
  const pending = [...imageDefs];
  while (pending.length) {
    const i = pending.findIndex((d) => !d.from || built.has(d.from));
    if (i < 0) throw new Error(`images/: unknown or circular "from" in ${pending.map((d) => d.name).join(", ")}`);
    const def = pending.splice(i, 1)[0]!;
    const img = await progress.step(`image ${def.name}`, async () => {
      const img = await buildImage(def, def.from ? built.get(def.from) : undefined, bundlePath, ver);
      await writeArchive([img], join(ARTIFACTS.images, `${def.name}.tar`));
      return img;
    });
    built.set(def.name, img);
  }

  const osConfig = writeOsConfig(ver, join(DIST, "os-config.yml"));
  const catalog = cacheDir("core-catalog");
  const catalogKey = writeCoreCatalog(catalog);
  const preload = join(cacheDir("preload", ver), "images.tar");
  const sdRoot = systemDockerRootOf(ver);
  await progress.step("preloaded images", () => writeArchive(initrdDef.preload.map((n) => {
    const img = built.get(n);
    if (!img) throw new Error(`images/initrd: preload names unknown image "${n}"`);
    return img;
  }), preload));

  const systemDockerRoot = await progress.step("system Docker data root", async () => {
    await cached(sdRoot, readFileSync(`${preload}.key`, "utf8"), () => buildSystemDockerRoot(preload, sdRoot));
    return sdRoot;
  });

  const kernel = await progress.step("kernel", fetchKernel);
  await progress.step("initrd", async () => {
    const debs = await imageDebs(initrdDef, new Set());
    const picked = await pickedDebs(initrdDef);
    const key = hash(initrdDef.source, ...debKey(debs), ...debKey(picked), kernel.version, ...bundleFiles(bundlePath).map((f) => readFileSync(f)), readFileSync(osConfig), catalogKey, readFileSync(`${sdRoot}.key`));
    await cached(ARTIFACTS.initrd, key, () => buildInitrd({ def: initrdDef, debs, picked, kernel, bundle: bundlePath, osConfig, catalog, systemDockerRoot }, join(CACHE, "initrd-root"), ARTIFACTS.initrd));
  });
  await progress.step("iso", async () => {
    copyFileSync(kernel.vmlinuz, ARTIFACTS.vmlinuz);
    const key = hash(kernel.version, readFileSync(`${ARTIFACTS.initrd}.key`), ver);
    await cached(ARTIFACTS.iso, key, () => buildIso(ARTIFACTS.vmlinuz, ARTIFACTS.initrd, ver, ARTIFACTS.iso));
  });
  await progress.step("upgrade image", async () => {
    const signingKey = upgradeSigningKey();
    const key = hash(kernel.version, readFileSync(`${ARTIFACTS.initrd}.key`), ver, signingKey ? createPublicKey(signingKey).export({ type: "spki", format: "der" }) : "unsigned");
    await cached(ARTIFACTS.upgrade, key, () => writeUpgradeImage(ARTIFACTS, ver, ARTIFACTS.upgrade, signingKey).then(() => undefined));
  });
  progress.finish();
  return ARTIFACTS;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll();
  if (!existsSync(ARTIFACTS.iso)) process.exit(1);
}
