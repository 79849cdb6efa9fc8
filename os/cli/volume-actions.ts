// What `ros volume …` does and prints.
import Docker from "dockerode";
import { dockerMessage } from "../../system-services/agent/swarm.ts";
import { paths } from "../paths.ts";
import { backupVolume, restoreVolume, snapshotVolume, VolumeError } from "../stack/volume-archive.ts";
import { fail, say } from "./output.ts";

async function run(what: string, fn: (d: Docker) => Promise<void>): Promise<void> {
  try {
    await fn(new Docker({ socketPath: paths.userDockerSocket }));
  } catch (e) {
    fail([`${what}: ${e instanceof VolumeError ? e.message : dockerMessage(e)}`]);
  }
}

export const snapshot = (name: string) => run("ros volume snapshot", async (d) => {
  say(await snapshotVolume(d, name));
});
export const backup = (name: string, to: string) => run("ros volume backup", async (d) => {
  const r = await backupVolume(d, name, to);
  say(`${name} -> ${r.where} (sha256 ${r.sha256})`);
});
export const restore = (name: string, from: string) => run("ros volume restore", async (d) => {
  const r = await restoreVolume(d, name, from);
  say(`${name} <- ${from} (what it held before: ${r.previous})`);
});
