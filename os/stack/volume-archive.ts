// A local volume's contents as a tar archive with its SHA-256 beside it (`HASH  NAME`, as sha256sum
// writes), to a file or an HTTP(S) URL (PUT; an S3-compatible store takes a presigned URL), and back.
// The volume is reached through a container that is created and never started: Docker mounts its
// volumes for the archive API, so no image with a shell is needed, and no registry.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Docker from "dockerode";
import tar from "tar-stream";
import { paths } from "../paths.ts";

export class VolumeError extends Error {}

const HELPER = "corral/volume-helper:1";
const MOUNT = "/data";

/** An image with nothing in it but the mount point: imported once per Docker. */
async function helperImage(docker: Docker): Promise<void> {
  if ((await docker.listImages({ filters: { reference: [HELPER] } })).length) return;
  const pack = tar.pack();
  pack.entry({ name: "data/", type: "directory" });
  pack.finalize();
  const stream = await docker.importImage(pack as unknown as string, { repo: HELPER.split(":")[0], tag: "1" });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())));
}

async function withVolume<T>(docker: Docker, name: string, fn: (c: Docker.Container) => Promise<T>): Promise<T> {
  await helperImage(docker);
  const c = await docker.createContainer({ Image: HELPER, Cmd: ["/none"], Labels: { "io.corral.volume-helper": name }, HostConfig: { Mounts: [{ Type: "volume", Source: name, Target: MOUNT }] } });
  try {
    return await fn(c);
  } finally {
    await c.remove({ force: true });
  }
}

interface VolumeInfo { Name: string; Driver: string; Options: Record<string, string> | null; Labels: Record<string, string> | null }
async function inspect(docker: Docker, name: string): Promise<VolumeInfo> {
  try {
    return (await docker.getVolume(name).inspect()) as VolumeInfo;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) throw new VolumeError(`no volume ${name} on this node`);
    throw e;
  }
}

const isUrl = (to: string) => /^https?:\/\//.test(to);
const sha256Line = (hash: string, file: string) => `${hash}  ${basename(file)}\n`;

/** The volume's archive written to `file` (and `file.sha256`); its hash. */
async function archiveTo(docker: Docker, name: string, file: string): Promise<string> {
  mkdirSync(dirname(file), { recursive: true });
  const hash = createHash("sha256");
  await withVolume(docker, name, async (c) => {
    const stream = (await c.getArchive({ path: MOUNT })) as NodeJS.ReadableStream;
    stream.on("data", (b: Buffer) => hash.update(b));
    await pipeline(stream, createWriteStream(`${file}.part`));
  });
  const hex = hash.digest("hex");
  renameSync(`${file}.part`, file);
  writeFileSync(`${file}.sha256`, sha256Line(hex, file));
  return hex;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");

/** A snapshot in the node's snapshot folder: its path. */
export async function snapshotVolume(docker: Docker, name: string): Promise<string> {
  await inspect(docker, name);
  const file = join(paths.volumeSnapshots, name, `${stamp()}.tar`);
  await archiveTo(docker, name, file);
  return file;
}

async function put(url: string, body: Readable | string, what: string): Promise<void> {
  const r = await fetch(url, { method: "PUT", body: typeof body === "string" ? body : (Readable.toWeb(body) as ReadableStream), duplex: "half" } as RequestInit);
  if (!r.ok) throw new VolumeError(`${what}: ${url} answered ${r.status} ${r.statusText}`);
}

/** The volume's archive at `to`: a file path, or a URL the archive and its .sha256 are PUT to. */
export async function backupVolume(docker: Docker, name: string, to: string): Promise<{ where: string; sha256: string }> {
  await inspect(docker, name);
  if (!isUrl(to)) return { where: to, sha256: await archiveTo(docker, name, to) };
  const file = join(paths.volumeSnapshots, name, `${stamp()}-upload.tar`);
  const sha256 = await archiveTo(docker, name, file);
  await put(to, createReadStream(file), "ros volume backup");
  await put(`${to}.sha256`, sha256Line(sha256, to), "ros volume backup");
  return { where: to, sha256 };
}

async function fetchBytes(url: string): Promise<Buffer> {
  const r = await fetch(url);
  if (!r.ok) throw new VolumeError(`${url} answered ${r.status} ${r.statusText}`);
  return Buffer.from(await r.arrayBuffer());
}

/**
 * Replaces the volume's contents with the archive at `from` once its checksum is right. What the
 * volume held before is snapshotted first, so a restore loses nothing. The volume must be unused:
 * it is recreated (same driver, options, labels) so no old file survives.
 */
export async function restoreVolume(docker: Docker, name: string, from: string): Promise<{ previous: string }> {
  const archive = isUrl(from) ? await fetchBytes(from) : readFileSync(from);
  let sums: string;
  try {
    sums = isUrl(from) ? (await fetchBytes(`${from}.sha256`)).toString("utf8") : readFileSync(`${from}.sha256`, "utf8");
  } catch (e) {
    throw new VolumeError(`no checksum beside ${from} (${from}.sha256: ${(e as Error).message}); an archive is only restored when its checksum matches`);
  }
  const want = sums.trim().split(/\s+/)[0];
  const got = createHash("sha256").update(archive).digest("hex");
  if (want !== got) throw new VolumeError(`${from} does not match its checksum (sha256 ${got}, ${from}.sha256 says ${want}): nothing was restored`);
  const v = await inspect(docker, name);
  const users = (await docker.listContainers({ all: true, filters: { volume: [name] } })) as { Id: string; Names: string[]; State: string; Labels: Record<string, string> }[];
  // Exited swarm tasks are history Swarm keeps, nothing more: they go. Anything else keeps the volume.
  const holding = users.filter((c) => c.State === "running" || !c.Labels["com.docker.swarm.task.id"]);
  if (holding.length) throw new VolumeError(`volume ${name} is in use by ${holding.map((c) => `${c.Names[0]?.replace(/^\//, "")} (${c.State})`).join(", ")}; stop what uses it first (ros stack scale STACK_SERVICE=0), then restore`);
  const previous = await snapshotVolume(docker, name);
  // Swarm prunes its task history too: one it removed first is already gone.
  const gone = (e: { statusCode?: number }) => {
    if (e.statusCode !== 404) throw e;
  };
  for (const c of users) await docker.getContainer(c.Id).remove({ force: true }).catch(gone);
  await docker.getVolume(name).remove();
  await docker.createVolume({ Name: name, Driver: v.Driver, DriverOpts: v.Options ?? {}, Labels: v.Labels ?? {} });
  await withVolume(docker, name, (c) => c.putArchive(archive, { path: "/" }));
  return { previous };
}
