// Loads the images preloaded in the initrd into the system Docker, once per OS version.
import { createReadStream, existsSync, readFileSync, statSync, unlinkSync } from "node:fs";
import type Docker from "dockerode";
import { atomicWrite } from "../atomic-write.ts";
import { paths } from "../paths.ts";
import { VERSION } from "../version.ts";

function marker(): string {
  return `${VERSION} ${statSync(paths.preloadImages).size}\n`;
}

/** Returns false when this OS version's images were already loaded. */
export async function loadPreloadedImages(docker: Docker): Promise<boolean> {
  if (!existsSync(paths.preloadImages)) return false;
  const loaded = existsSync(paths.preloadedMarker) && readFileSync(paths.preloadedMarker, "utf8") === marker();
  if (!loaded) await load(docker);
  // The tarball lives in the initramfs, that is in RAM; once Docker has the images it is dead weight.
  unlinkSync(paths.preloadImages);
  return !loaded;
}

async function load(docker: Docker): Promise<void> {
  const stream = await docker.loadImage(createReadStream(paths.preloadImages));
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err, output: { error?: string }[]) => {
      const failed = err ?? output.find((o) => o.error);
      if (failed) reject(new Error(`loading preloaded images: ${failed instanceof Error ? failed.message : failed.error}`));
      else resolve();
    });
  });
  atomicWrite(paths.preloadedMarker, marker());
}
