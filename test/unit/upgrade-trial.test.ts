// The decisions of an upgraded slot's first boot: which boot is a trial, which one follows a trial
// that never committed, and what keeps a trial from committing.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import type { Status } from "../../os/services/status.ts";
import { notReady, sshBanner, trialState } from "../../os/upgrade/trial.ts";

test("trialState: GRUB's tried_slot against the slot that booted", () => {
  assert.deepEqual(trialState({ default_slot: "A" }, "A"), { kind: "none" });
  assert.deepEqual(trialState({ default_slot: "A", tried_slot: "B" }, "B"), { kind: "trial", slot: "B" });
  assert.deepEqual(trialState({ default_slot: "A", tried_slot: "B" }, "A"), { kind: "fell back", tried: "B", running: "A" });
  // Committed already (the tried mark outlived it): nothing to do.
  assert.deepEqual(trialState({ default_slot: "B", tried_slot: "B" }, "B"), { kind: "none" });
  assert.deepEqual(trialState({ default_slot: "A", tried_slot: "B" }, undefined), { kind: "none" }, "from RAM, no slot");
});

const st = (name: string, kind: Status["kind"], state: string, health: string, scope: Status["scope"] = "system"): Status => ({ name, scope, kind, image: "x", state, health, restarts: 0 });

test("notReady: system services not running healthy, oneshots not done, and SSH; user services and createonly do not count", () => {
  const ok = [st("console", "long-running", "running", "healthy"), st("cloud-init", "oneshot", "done", "-"), st("data", "createonly", "created", "-"), st("web", "long-running", "restarting", "unhealthy", "user")];
  assert.deepEqual(notReady(ok, true), []);
  assert.deepEqual(notReady(ok, undefined), [], "no sshd configured: SSH is not asked for");
  assert.deepEqual(notReady([...ok, st("ntp", "long-running", "running", "starting"), st("network", "oneshot", "failed (exit 1)", "-"), st("udev", "long-running", "crash-loop", "unhealthy")], false), [
    "ntp running/starting",
    "network failed (exit 1)",
    "udev crash-loop/unhealthy",
    "SSH does not answer",
  ]);
  // Started by dockerd from the store before the runner made it afresh: healthy, but the old version.
  assert.deepEqual(notReady([{ ...st("console", "long-running", "running", "healthy"), staleImage: "corral/os-console:0.1.0" }], true), ["console runs corral/os-console:0.1.0"]);
});

test("sshBanner: true for a server that says SSH-2.0, false for another protocol and a closed port", async () => {
  const server = (line: string) =>
    new Promise<{ port: number; close: () => void }>((resolve) => {
      const s = createServer((c) => c.end(line)).listen(0, "127.0.0.1", () => resolve({ port: (s.address() as AddressInfo).port, close: () => s.close() }));
    });
  const ssh = await server("SSH-2.0-OpenSSH_9.2\r\n");
  const http = await server("HTTP/1.1 400 Bad Request\r\n\r\n");
  assert.equal(await sshBanner(ssh.port), true);
  assert.equal(await sshBanner(http.port), false);
  ssh.close();
  http.close();
  assert.equal(await sshBanner(ssh.port), false);
});
