// The boot timeline's watch against a real dockerd: a service with a health check is recorded when
// it started and when it turned healthy, a oneshot when it exited and how, a container of the boot
// before is left out, and the watch ends once all are ready and the services stage is over.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { importBusybox } from "../fixtures/busybox-image.ts";
import { startTestDockerd } from "./dockerd.ts";

const scratch = mkdtempSync(join(tmpdir(), "corral-timeline-"));
process.env.ROS_ROOT = join(scratch, "root");
const { paths } = await import("../../os/paths.ts");
const { sinceBoot } = await import("../../os/analyze/timeline.ts");
const { watchServices } = await import("../../os/analyze/watch.ts");
const { LABEL } = await import("../../os/services/service.ts");
const dockerd = await startTestDockerd(join(scratch, "docker"));
after(async () => {
  for (const c of await dockerd.docker.listContainers({ all: true })) await dockerd.docker.getContainer(c.Id).remove({ force: true });
  await dockerd.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const IMAGE = "local/timeline-bb:1";
const service = (name: string, cmd: string, health?: string) =>
  dockerd.docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: ["sh", "-c", cmd],
    Labels: { [LABEL.service]: name },
    StopSignal: "SIGKILL",
    HostConfig: { NetworkMode: "none" },
    ...(health ? { Healthcheck: { Test: ["CMD-SHELL", health], Interval: 500_000_000, StartPeriod: 0, Retries: 3 } } : {}),
  });

test("the watch records starts, health and exits of this boot's services, and ends when they are ready", { timeout: 60_000 }, async () => {
  await importBusybox(dockerd.docker, IMAGE);
  const old = await service("left-over", "exit 3");
  await old.start();
  await old.wait();
  const t = { init: sinceBoot() + 0.5, stages: [], services: {}, complete: false };
  await new Promise((r) => setTimeout(r, 1000));
  const watch = watchServices(dockerd.docker, t);
  const web = await service("web", "sleep 2; touch /tmp/up; exec sleep 600", "test -e /tmp/up");
  await web.start();
  const once = await service("once", "sleep 1; exit 0");
  await once.start();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(t.complete, false, "not over while the services stage runs");
  watch.stageDone();
  const until = Date.now() + 30_000;
  while (!t.complete) {
    assert.ok(Date.now() < until, `the watch did not end: ${JSON.stringify(t)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const saved = JSON.parse(readFileSync(paths.bootTimeline, "utf8")) as typeof t & { services: Record<string, { started: number; healthy?: number; finished?: number; exitCode?: number }> };
  assert.equal(saved.complete, true);
  assert.deepEqual(Object.keys(saved.services).sort(), ["once", "web"], "the container of the boot before is not this boot's");
  const { web: w, once: o } = saved.services;
  // Docker's wall-clock stamps are each moved onto the boot clock when read: allow that rounding.
  const slack = 0.1;
  assert.ok(w!.started >= t.init && w!.healthy! >= w!.started + 2 - slack, JSON.stringify(w));
  assert.equal(o!.exitCode, 0);
  assert.ok(o!.finished! >= o!.started + 1 - slack && o!.finished! < o!.started + 3, JSON.stringify(o));
});
