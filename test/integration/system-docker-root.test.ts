// The system Docker's data root the build makes for the initrd: a dockerd started on a copy of it
// (as the booted host starts on the initrd's) has every preloaded image, runnable, with the owners
// and modes the layers were built with, and nothing else of the build's daemon.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type Docker from "dockerode";
import { version } from "../../build/bundle.ts";
import { systemDockerRootOf } from "../../build/image.ts";
import { run } from "../../os/exec.ts";
import { startTestDockerd } from "./dockerd.ts";
import { seedStore } from "../../os/init/system-docker-store.ts";

const SYSTEM_DOCKER_ROOT = systemDockerRootOf(version());
assert.ok(existsSync(SYSTEM_DOCKER_ROOT), `${SYSTEM_DOCKER_ROOT} is missing: run npm run build:image`);
const preload = (readFileSync(join(import.meta.dirname, "../../images/initrd/image.yml"), "utf8").match(/^preload: \[(.*)\]$/m)?.[1] ?? "").split(/,\s*/);

// The daemon runs on what an installed host's first boot makes of the initrd's store: a copy of it
// seeded into an empty state partition's (os/init/system-docker-store.ts).
const dir = mkdtempSync(join(tmpdir(), "corral-sd-root-"));
await run("cp", ["-a", SYSTEM_DOCKER_ROOT, join(dir, "initrd")]);
await seedStore(join(dir, "initrd"), join(dir, "data"), version());
const dockerd = await startTestDockerd(dir);
after(() => dockerd.stop());

async function runIn(docker: Docker, image: string, cmd: string[]): Promise<string> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, HostConfig: { NetworkMode: "none" } });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const out = (await c.logs({ stdout: true, stderr: true })).toString("latin1").replace(/[\x00-\x08][\s\S]{7}/g, "");
    assert.equal(StatusCode, 0, out);
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

test("the build's daemon leaves only images and their layers", () => {
  assert.deepEqual(readdirSync(SYSTEM_DOCKER_ROOT).sort(), ["image", "overlay2"]);
});

test("seeding the state's store copies every layer's folder and its short link, and empties the initrd's", () => {
  assert.deepEqual(readdirSync(join(dir, "initrd")), []);
  const layerdb = join(dir, "data/image/overlay2/layerdb/sha256");
  const ids = readdirSync(layerdb).map((chain) => readFileSync(join(layerdb, chain, "cache-id"), "utf8").trim());
  assert.deepEqual([...ids].sort(), readdirSync(join(SYSTEM_DOCKER_ROOT, "overlay2")).filter((n) => n !== "l").sort());
  for (const id of ids) assert.equal(readlinkSync(join(dir, "data/overlay2/l", readFileSync(join(dir, "data/overlay2", id, "link"), "utf8").trim())), `../${id}/diff`);
});

test("every preloaded image is there, tagged with this version", async () => {
  assert.ok(preload.length >= 4, `images/initrd/image.yml preload: ${preload.join(", ")}`);
  const tags = (await dockerd.docker.listImages()).flatMap((i) => i.RepoTags ?? []);
  for (const name of preload) assert.ok(tags.includes(`corral/${name}:${version()}`), `corral/${name} missing from ${tags.join(", ")}`);
});

test("the images run, with their files' owners and modes intact", async () => {
  assert.equal((await runIn(dockerd.docker, `corral/os-base:${version()}`, ["/usr/bin/ros", "--version"])).trim(), version());
  const stat = await runIn(dockerd.docker, `corral/os-console:${version()}`, ["stat", "-c", "%n %U %G %a", "/usr/bin/sudo", "/usr/bin/chage"]);
  assert.match(stat, /^\/usr\/bin\/sudo root root 4755$/m);
  assert.match(stat, /^\/usr\/bin\/chage root shadow 2755$/m);
});
