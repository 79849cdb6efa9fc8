// Packs a folder into a Docker layer tarball, reproducibly, and names it by its diff ID.
import { createHash } from "node:crypto";
import { createReadStream, renameSync } from "node:fs";
import { run } from "../os/exec.ts";

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Writes `dir` as a tar at `out`; returns the layer's diff ID (sha256 of the uncompressed tar). */
export async function packLayer(dir: string, out: string): Promise<string> {
  const tmp = `${out}.tmp`;
  await run("tar", ["--sort=name", "--mtime=@0", "--numeric-owner", "--xattrs", "-cf", tmp, "-C", dir, "."]);
  renameSync(tmp, out);
  return sha256File(out);
}
