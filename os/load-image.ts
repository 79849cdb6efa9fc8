// `docker load` through the API: resolves once every image of the archive is in the daemon.
import { createReadStream } from "node:fs";
import type Docker from "dockerode";

export async function loadImageArchive(docker: Docker, archive: string): Promise<void> {
  const stream = await docker.loadImage(createReadStream(archive));
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      // The daemon reports a bad archive as an event in a successful response.
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`loading ${archive}: ${failed}`));
      else resolve();
    }),
  );
}
