// An installed host's system Docker store across an upgrade: the previous version's images are on
// the state partition, the next version's come in its initrd and are merged in (os/init/
// system-docker-store.ts). A real dockerd on the merged store runs both versions' images, the new
// layers sitting on the store's own copies of the layers the two versions share.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { version } from "../../build/bundle.ts";
import { systemDockerRootOf } from "../../build/image.ts";
import { run } from "../../os/exec.ts";
import { seedStore } from "../../os/init/system-docker-store.ts";
import { nextUpgradeImage, nextVersion } from "../fixtures/next-build.ts";
import { startTestDockerd } from "./dockerd.ts";

test("the next version's images merge into a store holding this version's: a dockerd on it runs both, and the shared layers are not copied twice", { timeout: 10 * 60_000 }, async () => {
  const v1 = version();
  const v2 = nextVersion();
  assert.ok(existsSync(systemDockerRootOf(v1)), `${systemDockerRootOf(v1)} is missing: run npm run build:image`);
  nextUpgradeImage();
  const dir = mkdtempSync(join(tmpdir(), "corral-sd-upgrade-"));
  for (const [v, ram] of [[v1, "ram1"], [v2, "ram2"]] as const) {
    await run("cp", ["-a", systemDockerRootOf(v), join(dir, ram)]);
    await seedStore(join(dir, ram), join(dir, "data"), v);
  }
  const layers = (root: string) => readdirSync(join(root, "image/overlay2/layerdb/sha256")).length;
  const union = new Set([...readdirSync(join(systemDockerRootOf(v1), "image/overlay2/layerdb/sha256")), ...readdirSync(join(systemDockerRootOf(v2), "image/overlay2/layerdb/sha256"))]);
  assert.equal(layers(join(dir, "data")), union.size);
  assert.ok(union.size < layers(systemDockerRootOf(v1)) + layers(systemDockerRootOf(v2)), "the versions share layers");
  // One folder per layer (and l/): no second copy of a shared one.
  assert.equal(readdirSync(join(dir, "data/overlay2")).filter((n) => n !== "l").length, union.size);

  const dockerd = await startTestDockerd(dir);
  after(() => dockerd.stop());
  for (const v of [v1, v2]) {
    const c = await dockerd.docker.createContainer({ Image: `corral/os-base:${v}`, Cmd: ["/usr/bin/ros", "--version"], HostConfig: { NetworkMode: "none" } });
    await c.start();
    assert.equal(((await c.wait()) as { StatusCode: number }).StatusCode, 0);
    assert.match((await c.logs({ stdout: true, stderr: true })).toString("latin1"), new RegExp(`${v.replace(/\./g, "\\.")}\\n$`));
    await c.remove();
  }
});
