// A private copy of the bundle for tests that run the CLI: npm test builds dist/ros.mjs first, but
// other test files rebuild it while these run, and esbuild rewrites the file in place. A copy that
// does not start is one caught mid-write: copy again.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE, bundle } from "../../build/bundle.ts";

export async function privateBundle(dir: string): Promise<string> {
  if (!existsSync(BUNDLE)) await bundle();
  const copy = join(dir, "ros.mjs");
  for (let attempt = 0; ; attempt++) {
    copyFileSync(BUNDLE, copy);
    const r = spawnSync(process.execPath, [copy, "--version"], { encoding: "utf8" });
    if (r.status === 0) return copy;
    if (attempt === 5) throw new Error(`${BUNDLE} does not run: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}
