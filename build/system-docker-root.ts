// The system Docker's data root, made at build time by a real dockerd loading the preloaded images.
// The initrd carries it in place, so the booted host starts its services without a `docker load`
// (a minute of hashing and untarring under TCG) and holds each image once in RAM, not twice.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDockerd } from "../os/docker.ts";
import { unmountUnder } from "../os/unmount.ts";
import { loadImageArchive } from "../os/load-image.ts";

/** What the booted dockerd reuses; the rest (networks, containers, engine id) it makes for itself. */
const KEEP = new Set(["image", "overlay2"]);

export async function buildSystemDockerRoot(imagesTar: string, out: string): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  // The socket path must stay short, whatever the cache folder is.
  const run = mkdtempSync(join(tmpdir(), "corral-build-dockerd-"));
  const { docker, process: dockerd } = await startDockerd({
    socket: join(run, "docker.sock"),
    args: [`--data-root=${out}`, `--exec-root=${join(run, "exec")}`, `--pidfile=${join(run, "dockerd.pid")}`, "--storage-driver=overlay2", "--bridge=none", "--iptables=false"],
    log: join(run, "dockerd.log"),
    readyTimeoutMs: 60_000,
  });
  try {
    await loadImageArchive(docker, imagesTar);
  } finally {
    const exited = new Promise((resolve) => dockerd.once("exit", resolve));
    dockerd.kill("SIGTERM");
    await exited;
    await unmountUnder(run);
    rmSync(run, { recursive: true, force: true });
  }
  for (const entry of readdirSync(out)) if (!KEEP.has(entry)) rmSync(join(out, entry), { recursive: true, force: true });
}
