// The boot's config stage (os/init/config.ts) on a ROS_ROOT tree: the kernel command line names a
// NoCloud seed, its user data (with a typo) is kept as boot.yml and reported against the seed's own
// lines, its metadata fills $private_ipv4, the command line's rancher.* keys win, and a boot where
// no datasource answers keeps the saved config.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { captureLog } from "../fixtures/capture-log.ts";

const root = mkdtempSync(join(tmpdir(), "corral-boot-config-"));
process.env.ROS_ROOT = root;
const { loadBootConfig } = await import("../../os/init/config.ts");
const { paths } = await import("../../os/paths.ts");
after(() => rmSync(root, { recursive: true, force: true }));

function put(rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

/** Runs the stage, returning what it logged too. */
async function boot(): Promise<{ config: Awaited<ReturnType<typeof loadBootConfig>>; logged: string }> {
  const { result: config, logged } = await captureLog(loadBootConfig);
  return { config, logged: logged.join("\n") };
}

const USER_DATA = "#cloud-config\nhostnme: typo\nhostname: seeded\nrancher:\n  network:\n    interfaces:\n      eth1:\n        address: $private_ipv4/24\n";

test("a NoCloud seed from ds=nocloud;s=: boot.yml kept as written, errors at its lines, metadata substituted, the command line wins", async () => {
  put("/seed/user-data", USER_DATA);
  put("/seed/meta-data", "instance-id: iid-1\nlocal-ipv4: 10.0.5.7\n");
  put("/var/lib/rancher/conf/cloud-config.yml", "rancher:\n  debug: false\n  environment:\n    SAVED: yes-it-is\n");
  put("/proc/cmdline", "console=ttyS0 ds=nocloud;s=/seed/ rancher.debug=true");
  const { config, logged } = await boot();
  assert.equal(config.hostname, "seeded");
  assert.equal(config.rancher?.debug, true, "the kernel command line wins over cloud-config.yml");
  assert.equal(config.rancher?.environment?.SAVED, "yes-it-is");
  assert.equal(config.rancher?.network?.interfaces?.eth1?.address, "10.0.5.7/24");
  assert.equal(readFileSync(paths.bootConfig, "utf8"), USER_DATA);
  assert.equal(JSON.parse(readFileSync(paths.metadata, "utf8")).instanceId, "iid-1");
  assert.match(logged, /datasource nocloud:\/seed\/: answered in \d+ ms/);
  assert.match(logged, /cloud-config: nocloud:\/seed\/user-data:2:1: unknown key `hostnme` \(did you mean `hostname`\?/);
  // Reported once, against the seed's name, not again as boot.yml.
  assert.doesNotMatch(logged, /boot\.yml:2:1/);
});

test("no datasource answers: the saved boot.yml and metadata stay in force, the hostname falls back to the metadata's", async () => {
  put("/proc/cmdline", "ds=nocloud;s=/no-such-seed/");
  put("/var/lib/rancher/conf/cloud-config.d/boot.yml", "#cloud-config\nrancher:\n  environment:\n    FROM_LAST_BOOT: kept\n");
  writeFileSync(paths.metadata, JSON.stringify({ hostname: "from-metadata", privateIpv4: "10.0.5.8" }));
  const { config, logged } = await boot();
  assert.match(logged, /no datasource answered; the saved config stays in force/);
  assert.equal(config.rancher?.environment?.FROM_LAST_BOOT, "kept");
  assert.equal(config.hostname, "from-metadata");
});
