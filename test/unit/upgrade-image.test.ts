// The upgrade image's layout: release.json first (version, checksums), SHA256SUMS that sha256sum
// itself accepts, then the kernel and initrd byte for byte.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeUpgradeImage } from "../../build/upgrade-image.ts";

test("the upgrade image: release.json first, checksums sha256sum accepts, the files unchanged", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-upgrade-"));
  const kernel = join(dir, "k");
  const initrd = join(dir, "i");
  writeFileSync(kernel, "kernel bytes");
  writeFileSync(initrd, Buffer.alloc(300_000, 7));
  const out = join(dir, "corral-upgrade.tar");
  const release = await writeUpgradeImage(kernel, initrd, "9.9.9", out);
  assert.equal(release.version, "9.9.9");
  const names = execFileSync("tar", ["-tf", out], { encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(names, ["release.json", "SHA256SUMS", "vmlinuz", "initrd"]);
  const unpacked = join(dir, "x");
  execFileSync("mkdir", [unpacked]);
  execFileSync("tar", ["-xf", out, "-C", unpacked]);
  assert.deepEqual(JSON.parse(readFileSync(join(unpacked, "release.json"), "utf8")), release);
  assert.match(execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: unpacked, encoding: "utf8" }), /^vmlinuz: OK\ninitrd: OK\n$/);
  assert.deepEqual(readFileSync(join(unpacked, "initrd")), readFileSync(initrd));
  assert.equal(readFileSync(join(unpacked, "vmlinuz"), "utf8"), "kernel bytes");
});
