import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { osConfigText } from "../../build/os-config.ts";
import { containerSpec } from "../../os/services/container-spec.ts";
import { toService } from "../../os/services/service.ts";
import type { ServiceConfig } from "../../cloud-config/schema/index.ts";

const services = () => (parse(osConfigText("9.9.9")) as { rancher: { services: Record<string, ServiceConfig> } }).rancher.services;

test("os-config.yml carries every system service, with the OS version in its image", () => {
  const console = services().console!;
  assert.equal(console.image, "corral/os-console:9.9.9");
  assert.deepEqual(console.labels, { "io.rancher.os.scope": "system" });
});

test("the console runs in the host's namespaces, privileged, and restarts", () => {
  const spec = containerSpec(toService("console", services().console!));
  assert.equal(spec.name, "console");
  assert.deepEqual(spec.Cmd, ["/usr/bin/ros", "console-init"]);
  const h = spec.HostConfig!;
  assert.deepEqual([h.NetworkMode, h.PidMode, h.IpcMode, h.UTSMode], ["host", "host", "host", "host"]);
  assert.deepEqual(h.RestartPolicy, { Name: "always" });
  assert.ok(h.Binds!.includes("/var/run/system-docker.sock:/var/run/system-docker.sock"));
  assert.equal(spec.Labels!["io.rancher.os.service"], "console");
});

test("compose-style strings and maps become Docker API lists", () => {
  const spec = containerSpec(toService("x", { image: "i", command: "sh -c true", environment: { A: "1", B: "two" }, restart: "on-failure:3" }));
  assert.deepEqual(spec.Cmd, ["sh", "-c", "true"]);
  assert.deepEqual(spec.Env, ["A=1", "B=two"]);
  assert.deepEqual(spec.HostConfig!.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
});
