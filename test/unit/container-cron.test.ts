// container-cron's schedules: which label values are accepted, and the run times they give.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDuration, parseSchedule } from "../../system-services/container-cron/schedule.ts";
import { cronSpec } from "../../system-services/container-cron/labels.ts";

// The schedules are in the local zone, as cron's are; the tests pin it to UTC for fixed answers.
process.env.TZ = "UTC";

const at = (iso: string) => new Date(iso);
/** The first `n` run times after `from`. */
function runs(label: string, from: string, n = 3): string[] {
  const s = parseSchedule(label);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) out.push((t = s.next(t)).toISOString());
  return out;
}

describe("cron expressions", () => {
  test("5 fields count from the minute", () => {
    assert.deepEqual(runs("*/15 * * * *", "2025-03-04T10:07:30Z"), ["2025-03-04T10:15:00.000Z", "2025-03-04T10:30:00.000Z", "2025-03-04T10:45:00.000Z"]);
    assert.deepEqual(runs("30 2 * * 1", "2025-03-04T00:00:00Z", 2), ["2025-03-10T02:30:00.000Z", "2025-03-17T02:30:00.000Z"], "Mondays at 02:30");
  });

  test("6 fields put seconds first", () => {
    assert.deepEqual(runs("*/2 * * * * *", "2025-03-04T10:07:30Z"), ["2025-03-04T10:07:32.000Z", "2025-03-04T10:07:34.000Z", "2025-03-04T10:07:36.000Z"]);
    assert.deepEqual(runs("15 0 12 * * *", "2025-03-04T13:00:00Z", 1), ["2025-03-05T12:00:15.000Z"]);
  });

  test("the next run is strictly later, also from a time between seconds", () => {
    assert.deepEqual(runs("*/2 * * * * *", "2025-03-04T10:07:32Z", 1), ["2025-03-04T10:07:34.000Z"]);
    assert.deepEqual(runs("*/2 * * * * *", "2025-03-04T10:07:31.700Z", 1), ["2025-03-04T10:07:32.000Z"]);
  });

  test("names for months and weekdays, lists and ranges", () => {
    assert.deepEqual(runs("0 9 * JAN,jul MON-FRI", "2025-06-30T12:00:00Z", 2), ["2025-07-01T09:00:00.000Z", "2025-07-02T09:00:00.000Z"]);
  });

  test("extra whitespace around and between fields is fine", () => {
    assert.equal(parseSchedule("  0  *  * * *\t").next(at("2025-01-01T00:30:00Z")).toISOString(), "2025-01-01T01:00:00.000Z");
  });
});

describe("shorthands", () => {
  const from = "2025-03-04T10:07:30Z";
  for (const [label, want] of [
    ["@hourly", "2025-03-04T11:00:00.000Z"],
    ["@daily", "2025-03-05T00:00:00.000Z"],
    ["@midnight", "2025-03-05T00:00:00.000Z"],
    ["@weekly", "2025-03-09T00:00:00.000Z"],
    ["@monthly", "2025-04-01T00:00:00.000Z"],
    ["@yearly", "2026-01-01T00:00:00.000Z"],
    ["@annually", "2026-01-01T00:00:00.000Z"],
    ["@Daily", "2025-03-05T00:00:00.000Z"],
  ] as const) {
    test(label, () => assert.deepEqual(runs(label, from, 1), [want]));
  }

  test("@every counts whole periods from the last run, on whole seconds", () => {
    assert.deepEqual(runs("@every 30s", "2025-03-04T10:07:30.400Z"), ["2025-03-04T10:08:00.000Z", "2025-03-04T10:08:30.000Z", "2025-03-04T10:09:00.000Z"]);
    assert.deepEqual(runs("@every 1h30m", "2025-03-04T10:00:00Z", 2), ["2025-03-04T11:30:00.000Z", "2025-03-04T13:00:00.000Z"]);
    assert.deepEqual(runs("@every 1.5m", "2025-03-04T10:00:00Z", 1), ["2025-03-04T10:01:30.000Z"]);
  });

  test("@every under a second is one second", () => {
    assert.deepEqual(runs("@every 200ms", "2025-03-04T10:00:00Z", 2), ["2025-03-04T10:00:01.000Z", "2025-03-04T10:00:02.000Z"]);
  });

  test("durations are Go's: units summed, fractions allowed", () => {
    assert.equal(parseDuration("1h2m3s"), 3_723_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration(".5h"), 1_800_000);
    assert.equal(parseDuration("250ms"), 250);
    for (const bad of ["", "30", "s", "1d", "1h 30m", "-5s", "5s junk"]) assert.equal(parseDuration(bad), undefined, bad);
  });
});

describe("bad schedules say what is wrong", () => {
  for (const [label, why] of [
    ["", /expected 5 fields .* found 0/],
    ["* * *", /expected 5 fields .* found 3/],
    ["0 0 0 * * * 2030", /found 7/],
    ["61 * * * *", /61/],
    ["0 25 * * *", /25/],
    ["bogus * * * *", /bog/i],
    ["0 0 31 2 *", /day of month/i],
    ["@sometimes", /unknown shorthand @sometimes .*@hourly.*@every <duration>/],
    ["@every", /is not a duration/],
    ["@every 5 minutes", /"5 minutes" is not a duration/],
  ] as const) {
    test(JSON.stringify(label), () => assert.throws(() => parseSchedule(label), why));
  }
});

describe("labels", () => {
  test("the action defaults to start; restart and stop are taken, in any case", () => {
    assert.equal(cronSpec({ "cron.schedule": "@hourly" }).action, "start");
    assert.equal(cronSpec({ "cron.schedule": "@hourly", "cron.action": "Restart" }).action, "restart");
    assert.equal(cronSpec({ "cron.schedule": "@hourly", "cron.action": "stop" }).action, "stop");
    assert.equal(cronSpec({ "cron.schedule": "@hourly", "cron.action": "" }).action, "start");
  });

  test("a bad label is named with its value", () => {
    assert.throws(() => cronSpec({ "cron.schedule": "61 * * * *" }), /^Error: bad cron.schedule "61 \* \* \* \*": /);
    assert.throws(() => cronSpec({ "cron.schedule": "@hourly", "cron.action": "kill" }), /bad cron.action "kill": use start, restart, stop/);
  });
});
