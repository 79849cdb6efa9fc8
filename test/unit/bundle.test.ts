// The bundle is what the image ships: it must build, start, and answer without a daemon.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { test } from "node:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, bundleFile, version } from "../../build/bundle.ts";
import { copyNativeModules } from "../../build/native-modules.ts";

const path = await bundle();
const ros = (...args: string[]) => spawnSync(process.execPath, [path, ...args], { encoding: "utf8" });

test("ros --version prints the package version", () => {
  assert.equal(execFileSync(process.execPath, [path, "--version"], { encoding: "utf8" }).trim(), version());
});

test("ros --help lists the boot commands, each with its own --help", () => {
  const help = ros("--help").stdout;
  assert.match(help, /^\s+init\s/m);
  assert.match(help, /^\s+console-init\s/m);
  const initHelp = ros("init", "--help");
  assert.equal(initHelp.status, 0);
  assert.match(initHelp.stdout, /Usage: ros init/);
});

test("an unknown command fails with a message", () => {
  const r = ros("frobnicate");
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

test("dockerode loads and works in a bundle made the same way, with its unused parts left out", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-bundle-"));
  const out = join(dir, "probe.mjs");
  await bundleFile(fileURLToPath(new URL("../fixtures/dockerode-probe.ts", import.meta.url)), out);
  const r = spawnSync(process.execPath, [out, join(dir, "no-daemon.sock")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ping failed: .*ENOENT/);
});

test("node-pty stays out of the bundle and loads from the node_modules the image puts beside it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-bundle-pty-"));
  const out = join(dir, "probe.mjs");
  await bundleFile(fileURLToPath(new URL("../fixtures/pty-probe.ts", import.meta.url)), out);
  assert.doesNotMatch(readFileSync(out, "utf8"), /pty\.node/);
  copyNativeModules(join(dir, "node_modules"));
  const r = spawnSync(process.execPath, [out], { encoding: "utf8", cwd: "/" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "30 90 exit=5");
});
