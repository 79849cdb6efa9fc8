// ros analyze boot's views of a recorded timeline: rows in order with the milestones, the table,
// and the SVG chart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatTimeline, rows, type BootTimeline } from "../../os/analyze/timeline.ts";
import { timelineSvg } from "../../os/analyze/svg.ts";

const timeline: BootTimeline = {
  init: 3.2,
  stages: [
    { name: "mounts", start: 3.3, end: 3.9 },
    { name: "system-docker", start: 4, end: 12.5 },
    { name: "services", start: 12.5, end: 40 },
  ],
  services: {
    docker: { started: 20, healthy: 61.25 },
    console: { started: 14, healthy: 22.5 },
    "cloud-init": { started: 13, finished: 18, exitCode: 0 },
    "a<b": { started: 30 },
  },
  complete: false,
};

test("rows: the kernel, the stages, the services by start time, then SSH and the user Docker ready", () => {
  const r = rows(timeline);
  assert.deepEqual(r.map((x) => x.what), ["kernel + initramfs", "mounts", "system-docker", "services", "cloud-init", "console", "docker", "a<b", "ssh ready", "user-docker ready"]);
  assert.deepEqual(r[0], { what: "kernel + initramfs", start: 0, end: 3.2, kind: "kernel" });
  assert.deepEqual(r.find((x) => x.what === "cloud-init"), { what: "cloud-init", start: 13, end: 18, kind: "service", note: "exited 0" });
  assert.deepEqual(r.find((x) => x.what === "a<b"), { what: "a<b", start: 30, end: 30, kind: "service", note: "not ready yet" });
  assert.deepEqual(r.at(-2), { what: "ssh ready", start: 22.5, end: 22.5, kind: "milestone" });
  assert.deepEqual(r.at(-1), { what: "user-docker ready", start: 61.25, end: 61.25, kind: "milestone" });
});

test("no milestone for a service that never turned healthy", () => {
  const r = rows({ ...timeline, services: { console: { started: 14 } } });
  assert.ok(!r.some((x) => x.kind === "milestone"));
});

test("the table: one line a row, start, end and length, and a word when the boot is not settled", () => {
  const text = formatTimeline(timeline);
  assert.match(text, /^kernel \+ initramfs\s+0\.00 s →\s+3\.20 s\s+3\.20 s$/m);
  assert.match(text, /^service console\s+14\.00 s →\s+22\.50 s\s+8\.50 s  healthy$/m);
  assert.match(text, /^service cloud-init\s+13\.00 s →\s+18\.00 s\s+5\.00 s  exited 0$/m);
  assert.match(text, /^user-docker ready\s+at 61\.25 s$/m);
  assert.match(text, /still settling/);
  assert.doesNotMatch(formatTimeline({ ...timeline, complete: true }), /still settling/);
});

test("the SVG: a bar per row, a line per milestone, names escaped, ticks to the end", () => {
  const svg = timelineSvg(timeline);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal([...svg.matchAll(/<rect /g)].length, 8);
  assert.equal([...svg.matchAll(/stroke-width="3"/g)].length, 2);
  assert.ok(svg.includes("service a&lt;b") && !svg.includes("a<b"));
  assert.match(svg, />60 s<\/text>/);
  assert.match(svg, /<\/svg>\n$/);
});
