// ros init's image stage against a real dockerd: the built tarballs load, once per OS version, and
// the tarball is dropped from the (in-RAM) root afterwards.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { ARTIFACTS } from "../../build/image.ts";
import { version } from "../../build/bundle.ts";

// ROS_ROOT must be set before anything loads os/paths.ts: every module that does is imported below.
const root = mkdtempSync(join(tmpdir(), "corral-root-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { loadPreloadedImages } = await import("../../os/init/images.ts");
const { startTestDockerd } = await import("./dockerd.ts");
assert.ok(paths.preloadImages.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.preloadImages}`);

const dockerd = await startTestDockerd(mkdtempSync(join(tmpdir(), "corral-dockerd-")));
after(() => dockerd.stop());

function placeTarball(): void {
  mkdirSync(dirname(paths.preloadImages), { recursive: true });
  copyFileSync(join(ARTIFACTS.images, "os-console.tar"), paths.preloadImages);
}

test("the preloaded images load into Docker and the tarball is freed", async () => {
  placeTarball();
  assert.equal(await loadPreloadedImages(dockerd.docker), true);
  const tags = (await dockerd.docker.listImages()).flatMap((i) => i.RepoTags ?? []);
  assert.ok(tags.includes(`corral/os-console:${version()}`), `loaded: ${tags.join(", ")}`);
  assert.equal(existsSync(paths.preloadImages), false);
  assert.equal(existsSync(paths.preloadedMarker), true);
});

test("the same OS version does not load again", async () => {
  placeTarball();
  assert.equal(await loadPreloadedImages(dockerd.docker), false);
  assert.equal(existsSync(paths.preloadImages), false);
});

test("no tarball, nothing to do", async () => {
  assert.equal(await loadPreloadedImages(dockerd.docker), false);
});
