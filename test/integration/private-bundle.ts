// A private copy of the bundle for tests that run the CLI: npm test builds dist/ros.mjs first, but
// other test files rebuild it while these run, and esbuild rewrites the file in place. A copy that
// does not start is one caught mid-write: copy again.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { BUNDLE, bundle, installBundle } from "../../build/bundle.ts";

export async function privateBundle(dir: string): Promise<string> {
  if (!existsSync(BUNDLE)) await bundle();
  for (let attempt = 0; ; attempt++) {
    const copy = installBundle(BUNDLE, dir);
    const r = spawnSync(process.execPath, [copy, "--version"], { encoding: "utf8" });
    if (r.status === 0) return copy;
    if (attempt === 5) throw new Error(`${BUNDLE} does not run: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * For tests of `ros config` edits: a scratch folder (removed after the file's tests) holding a
 * private bundle and a host tree, and the tree's cloud-config.yml, its folder and the CLI's env.
 */
export async function configScratch(prefix: string) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const ros = await privateBundle(scratch);
  const root = join(scratch, "root");
  const file = join(root, "var/lib/rancher/conf/cloud-config.yml");
  return { scratch, ros, root, file, dir: dirname(file), env: { ...process.env, ROS_ROOT: root } };
}
