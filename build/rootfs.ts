// Unpacks an image's Debian packages into a folder and lays its declared files over them.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { run } from "../os/exec.ts";
import { resolveDebs, type Deb } from "./apt.ts";
import type { FileSpec, ImageDef } from "./image-def.ts";

function globToRegExp(glob: string): RegExp {
  return new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$");
}

/** The .deb files an image unpacks: its closure less what the parent image already has and what it skips. */
export async function imageDebs(def: ImageDef, parentPackages: ReadonlySet<string>): Promise<Deb[]> {
  if (def.packages.length === 0) return [];
  const skip = def.skip.map(globToRegExp);
  const debs = await resolveDebs(def.packages);
  return debs.filter((d) => !parentPackages.has(d.name) && !skip.some((r) => r.test(d.name)));
}

export async function pickedDebs(def: ImageDef): Promise<Deb[]> {
  const out: Deb[] = [];
  for (const name of Object.keys(def.pick)) {
    const deb = (await resolveDebs([name])).find((d) => d.name === name);
    if (!deb) throw new Error(`pick: package ${name} not found`);
    out.push(deb);
  }
  return out;
}

export async function unpack(def: ImageDef, debs: Deb[], picked: Deb[], dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const d of debs) await run("dpkg-deb", ["-x", d.file, dir]);
  for (const d of picked) {
    const tmp = mkdtempSync(join(tmpdir(), "corral-pick-"));
    try {
      await run("dpkg-deb", ["-x", d.file, tmp]);
      for (const p of def.pick[d.name]!) {
        const rel = p.replace(/^\/+/, "");
        if (!existsSync(join(tmp, rel))) throw new Error(`pick: ${d.name} has no ${p}`);
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        cpSync(join(tmp, rel), join(dir, rel), { recursive: true, verbatimSymlinks: true });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  for (const p of def.exclude) rmSync(join(dir, p.replace(/^\/+/, "")), { recursive: true, force: true });
  writeFiles(dir, def.files);
}

export function writeFiles(dir: string, files: FileSpec[]): void {
  for (const f of files) {
    const target = join(dir, f.path.replace(/^\/+/, ""));
    mkdirSync(dirname(target), { recursive: true });
    if (existsSync(target) || isDanglingLink(target)) rmSync(target, { force: true });
    if (f.link !== undefined) {
      symlinkSync(f.link, target);
      continue;
    }
    writeFileSync(target, f.content ?? "");
    chmodSync(target, parseInt(f.mode ?? "0644", 8));
  }
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
