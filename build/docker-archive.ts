// Writes images in the `docker save` format so `docker load` (and dockerode's loadImage) accept
// them without a registry or a daemon at build time. Layers shared by several images are stored once.
import { createHash } from "node:crypto";
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../os/exec.ts";
import type { ImageDef } from "./image-def.ts";

export interface Layer { file: string; diffId: string; createdBy: string }
export interface BuiltImage { repoTag: string; layers: Layer[]; config: ImageDef["config"] }

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function imageConfig(img: BuiltImage): string {
  const c = img.config;
  const env = [DEFAULT_PATH, ...(c.env ?? []).filter((e) => !e.startsWith("PATH="))];
  return JSON.stringify({
    architecture: "amd64",
    os: "linux",
    created: "1970-01-01T00:00:00Z",
    config: { Env: env, Entrypoint: c.entrypoint ?? null, Cmd: c.cmd ?? null, Labels: c.labels ?? {}, WorkingDir: c.workdir ?? "" },
    rootfs: { type: "layers", diff_ids: img.layers.map((l) => `sha256:${l.diffId}`) },
    history: img.layers.map((l) => ({ created: "1970-01-01T00:00:00Z", created_by: l.createdBy })),
  });
}

export async function writeDockerArchive(images: BuiltImage[], out: string): Promise<void> {
  const stage = mkdtempSync(join(dirname(out), ".stage-"));
  try {
    const manifest = images.map((img) => {
      const config = imageConfig(img);
      const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
      writeFileSync(join(stage, configName), config);
      const layers = img.layers.map((l) => {
        const rel = `${l.diffId}/layer.tar`;
        mkdirSync(join(stage, l.diffId), { recursive: true });
        try {
          linkSync(l.file, join(stage, rel));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        return rel;
      });
      return { Config: configName, RepoTags: [img.repoTag], Layers: layers };
    });
    writeFileSync(join(stage, "manifest.json"), JSON.stringify(manifest));
    await run("tar", ["--hard-dereference", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-cf", `${out}.tmp`, "-C", stage, "."]);
    await run("mv", [`${out}.tmp`, out]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
