import assert from "node:assert/strict";
import { test } from "node:test";
import { minRam } from "../../bench/min-ram.ts";

const boots = (needed: number) => {
  const tried: number[] = [];
  return { tried, works: async (mb: number) => (tried.push(mb), { mb, ok: mb >= needed }) };
};

test("minRam finds the smallest working step by bisection, booting a few sizes once each", async () => {
  for (const needed of [192, 448, 500, 960, 1024]) {
    const b = boots(needed);
    const r = await minRam(b.works, 128, 1024, 64);
    assert.equal(r.min_mb, Math.ceil(needed / 64) * 64, `needed ${needed}`);
    assert.equal(new Set(b.tried).size, b.tried.length, "no size twice");
    assert.ok(b.tried.length <= 5, `${b.tried}`);
    assert.deepEqual(r.probes.map((p) => p.mb), b.tried);
  }
});

test("minRam says null when the largest size fails too", async () => {
  const b = boots(4096);
  assert.deepEqual(await minRam(b.works, 128, 1024, 64), { min_mb: null, step_mb: 64, probes: [{ mb: 1024, ok: false }] });
});
