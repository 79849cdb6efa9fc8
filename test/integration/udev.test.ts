// The udev service as the image runs it (os-services image, its service.yml's command) on a real
// dockerd in the machine's network namespace, fed real kernel device events: the test writes "add"
// to a real PCI device's uevent file, the kernel broadcasts it, and the service hands its MODALIAS to
// kmod's modprobe. What cannot exist here is the module itself: this machine's kernel has no module
// support (no /proc/modules, no /lib/modules). So the service's /lib/modules is a tree the test
// makes with depmod, where the device's alias names a module declared built in: modprobe resolves
// and "loads" it as it would a real one (a boot test loads real drivers, test/boot/boot.test.ts).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { version } from "../../build/bundle.ts";
import { ARTIFACTS } from "../../build/image.ts";
import { osConfigText } from "../../build/os-config.ts";
import type { CloudConfig, ServiceConfig } from "../../cloud-config/schema/index.ts";
import { run } from "../../os/exec.ts";
import { loadImageArchive } from "../../os/load-image.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-udev-"));
process.env.ROS_ROOT = join(scratch, "root");
const { up } = await import("../../os/services/runner.ts");
const { toServices } = await import("../../os/services/service.ts");
const { engines } = await import("../../os/services/engines.ts");
const { containerNamed } = await import("../../os/services/named.ts");
const { logText } = await import("../../os/services/log-frames.ts");
const { startTestDockerd } = await import("./dockerd.ts");

const IMAGE_TAR = join(ARTIFACTS.images, "os-services.tar");
const MODULE = "corral_test_nic";

/** A PCI device of this machine to send events for: the first with a modalias (a bus bridge does). */
function pciDevice(): { path: string; modalias: string } | undefined {
  const dir = "/sys/bus/pci/devices";
  if (!existsSync(dir)) return undefined;
  for (const d of readdirSync(dir).sort()) {
    const file = join(dir, d, "modalias");
    if (existsSync(file)) return { path: join(dir, d), modalias: readFileSync(file, "utf8").trim() };
  }
  return undefined;
}
const device = pciDevice();
const skip = !device ? "this machine has no PCI device to send an event for" : undefined;

let dockerd: Awaited<ReturnType<typeof startTestDockerd>> | undefined;

/** lib/modules/<this kernel> where `modalias` names MODULE, a built-in module (modules.builtin.modinfo is its aliases). */
async function modulesTree(modalias: string): Promise<string> {
  const dir = join(scratch, "lib/modules", release());
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "modules.builtin"), `kernel/drivers/net/${MODULE}.ko\n`);
  writeFileSync(join(dir, "modules.builtin.modinfo"), `${MODULE}.alias=${modalias.replace(/sv.*$/, "sv*sd*bc*sc*i*")}\0`);
  writeFileSync(join(dir, "modules.order"), "");
  await run("depmod", ["-b", scratch, release()]);
  return join(scratch, "lib/modules");
}

function udevService(modules: string): ServiceConfig {
  const def = structuredClone((parse(osConfigText(version())) as CloudConfig).rancher!.services!.udev!);
  def.volumes = [`${modules}:/lib/modules:ro`];
  return def;
}

before(async () => {
  if (skip) return;
  assert.ok(existsSync(IMAGE_TAR), `${IMAGE_TAR} is missing: build the images first (npm run build:image)`);
  dockerd = await startTestDockerd(join(scratch, "dockerd"));
  await loadImageArchive(dockerd.docker, IMAGE_TAR);
});

after(async () => {
  if (dockerd) {
    await (await containerNamed(dockerd.docker, "udev"))?.remove({ force: true });
    await dockerd.stop();
  }
  rmSync(scratch, { recursive: true, force: true });
});

const logs = async () => logText((await (await containerNamed(dockerd!.docker, "udev"))!.logs({ stdout: true, stderr: true })) as unknown as Buffer);
async function untilLogged(re: RegExp, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await logs();
    if (re.test(text)) return text;
    if (Date.now() > deadline) assert.fail(`no ${re} in udev's log within ${ms / 1000} s:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("a device added later gets its driver through modprobe; other events are left alone; no node runs; it stops at once", { skip }, async () => {
  const docker = dockerd!.docker;
  const [out] = await up(toServices({ udev: udevService(await modulesTree(device!.modalias)) }), engines(docker));
  assert.equal(out!.result, "started", out!.detail);
  await untilLogged(/udev: listening for devices/);

  // The kernel's own event for the device, as a hot-plug sends it (DEVPATH without /sys).
  const devpath = (await run("realpath", [device!.path])).stdout.trim().replace(/^\/sys/, "");
  writeFileSync(join(device!.path, "uevent"), "change");
  writeFileSync(join(device!.path, "uevent"), "add");
  const text = await untilLogged(new RegExp(`udev: ${MODULE} for ${devpath.replace(/[.]/g, "\\.")}\\b`));
  assert.equal(text.split(`udev: ${MODULE} for`).length - 1, 1, `only the add event loads a driver:\n${text}`);

  const c = (await containerNamed(docker, "udev"))!;
  const top = await c.top({ ps_args: "-o pid,comm" });
  const commands = (top.Processes as string[][]).map((p) => p.at(-1)!);
  assert.ok(!commands.includes("node"), `no node process: ${commands.join(", ")}`);
  assert.ok(commands.includes("busybox"), `the uevent listener runs: ${commands.join(", ")}`);

  const t = Date.now();
  await c.stop({ t: 10 });
  assert.ok(Date.now() - t < 5000, `it stops when asked, not when killed after the grace period (${Date.now() - t} ms)`);
  assert.equal((await c.inspect()).State.ExitCode, 0);
});
