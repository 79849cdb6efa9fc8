// What the upgrade test installs: a second build of this tree with the next patch version (a newer
// build, signed with a test key), and a broken image whose initrd has an init that cannot run.
// Both are cached under .cache/next, so a rerun costs only what changed.
import { execFileSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { version } from "../../build/bundle.ts";
import { CACHE, REPO } from "../../build/cache.ts";
import { ARTIFACTS } from "../../build/image.ts";
import { writeUpgradeImage } from "../../build/upgrade-image.ts";

const NEXT = join(CACHE, "next");

/** 1.2.3 → 1.2.4 */
export const nextVersion = () => version().replace(/(\d+)(\D*)$/, (_, n: string, rest: string) => `${Number(n) + 1}${rest}`);

/** The test's signing key (kept with the build it signed, so the cached image stays valid). */
export function testSigningKey(): { file: string; key: KeyObject } {
  const file = join(NEXT, "upgrade-key.pem");
  if (!existsSync(file)) {
    mkdirSync(NEXT, { recursive: true });
    writeFileSync(file, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  return { file, key: createPrivateKey(readFileSync(file)) };
}

/** Builds (or finds cached) the next version's upgrade image; returns its path. */
export function nextUpgradeImage(): string {
  const dist = join(NEXT, "dist");
  execFileSync("node", ["--import", "tsx", join(REPO, "build/image.ts")], {
    cwd: REPO,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CORRAL_VERSION: nextVersion(), CORRAL_DIST: dist, CORRAL_UPGRADE_KEY: testSigningKey().file },
  });
  return join(dist, "corral-upgrade.tar");
}

/** Our kernel with an initrd whose /init is a script with no shell to run it: the kernel panics. */
export async function brokenUpgradeImage(signingKey: KeyObject, out: string): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "corral-broken-"));
  writeFileSync(join(root, "init"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
  const initrd = join(root, "..", `${root.split("/").pop()}.cpio`);
  execFileSync("sh", ["-c", `echo init | cpio --quiet -o -H newc > '${initrd}'`], { cwd: root });
  await writeUpgradeImage({ vmlinuz: ARTIFACTS.vmlinuz, initrd }, "0.0.0-broken", out, signingKey);
}
