// The journal's pure parts: syslog framing and headers, kernel records, Docker's log stream, the
// time and priority arguments of `ros logs`, and the store (append, rotation, caps, reading back,
// cursors) on a temp folder.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { DockerLogDecoder, splitStamp } from "../../system-services/journal/docker-lines.ts";
import { journalFiles } from "../../system-services/journal/files.ts";
import { formatShort } from "../../system-services/journal/format.ts";
import { kmsgRecord, parseKmsg, unescapeKmsg } from "../../system-services/journal/kmsg.ts";
import { filterOf } from "../../system-services/journal/query.ts";
import { endPosition, lastRecords, recordsFrom } from "../../system-services/journal/read.ts";
import { parsePriority, type JournalRecord } from "../../system-services/journal/record.ts";
import { advance, loadState, saveState } from "../../system-services/journal/state.ts";
import { parseSyslog, SyslogFramer } from "../../system-services/journal/syslog-parse.ts";
import { parseTime } from "../../system-services/journal/time.ts";
import { JournalWriter } from "../../system-services/journal/writer.ts";

// Local times are read in the local zone; one with a half-hour offset catches a UTC mix-up.
process.env.TZ = "Asia/Kolkata";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "corral-cj-unit-"));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("syslog messages", () => {
  test("what util-linux logger sends to a local socket (no host name)", () => {
    // Captured from `logger -u sock -t mytag -p local3.warning "hello world"` and `--id=1234`.
    assert.deepEqual(parseSyslog("<156>Nov 23 11:28:05 mytag: hello world"), { priority: 4, facility: 19, tag: "mytag", message: "hello world" });
    assert.deepEqual(parseSyslog("<13>Nov 23 11:28:05 other[1234]: two"), { priority: 5, facility: 1, tag: "other", pid: 1234, message: "two" });
    assert.deepEqual(parseSyslog("<13>Nov  3 01:02:03 t: "), { priority: 5, facility: 1, tag: "t", message: "" }, "a one-digit day is space-padded");
  });

  test("RFC 3164 from another host names it before the tag", () => {
    assert.deepEqual(parseSyslog("<34>Oct 11 22:14:15 mymachine su[77]: 'su root' failed for lonvick on /dev/pts/8"), {
      priority: 2,
      facility: 4,
      hostname: "mymachine",
      tag: "su",
      pid: 77,
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
  });

  test("RFC 5424: host, app, procid, msgid; structured data skipped, a BOM dropped", () => {
    // Captured from `logger --rfc5424 -t five "five msg"`.
    assert.deepEqual(parseSyslog('<13>1 2026-11-23T11:28:05.779263+00:00 vm five - - [timeQuality tzKnown="1" isSynced="0"] five msg'), { priority: 5, facility: 1, hostname: "vm", tag: "five", message: "five msg" });
    assert.deepEqual(parseSyslog('<165>1 2003-10-11T22:14:15.003Z host app 8710 ID47 [a x="q\\]" y="2"][b z="3"] \uFEFFmsg [x]'), { priority: 5, facility: 20, hostname: "host", tag: "app", pid: 8710, msgid: "ID47", message: "msg [x]" });
    assert.deepEqual(parseSyslog("<14>1 - - - - - -"), { priority: 6, facility: 1, message: "" }, "every field nil and no message");
  });

  test("no header, or a PRI out of range, is user.notice with the text kept whole", () => {
    assert.deepEqual(parseSyslog("plain words"), { priority: 5, facility: 1, message: "plain words" });
    assert.deepEqual(parseSyslog("<999>x: y"), { priority: 5, facility: 1, message: "<999>x: y" });
    assert.deepEqual(parseSyslog("<0>kernel: panic"), { priority: 0, facility: 0, tag: "kernel", message: "panic" });
    assert.equal(parseSyslog("<0>no tag here").tag, undefined);
    assert.equal(parseSyslog("<0>no tag here").message, "no tag here");
  });
});

describe("syslog framing on a stream socket", () => {
  const feed = (chunks: (string | Buffer)[]) => {
    const f = new SyslogFramer();
    const out = chunks.flatMap((c) => f.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    return [...out, ...f.end()];
  };

  test("newline-ended (logger), split anywhere", () => {
    assert.deepEqual(feed(["<13>Nov 23 11:28:05 multi: a\n<13>Nov 23 11:28:05 mu", "lti: b\n"]), ["<13>Nov 23 11:28:05 multi: a", "<13>Nov 23 11:28:05 multi: b"]);
  });

  test("NUL-ended (glibc syslog()): a newline inside a message stays in it", () => {
    assert.deepEqual(feed(["<11>prog: line one\nline two\0<11>prog: next\n\0"]), ["<11>prog: line one\nline two", "<11>prog: next"]);
  });

  test("octet counting (logger --octet-count) counts bytes, not characters", () => {
    const m = Buffer.from("<13>Nov 23 11:28:05 oc: été");
    const framed = Buffer.concat([Buffer.from(`${m.length} `), m, Buffer.from(`${m.length} `), m]);
    assert.deepEqual(feed([framed.subarray(0, 2), framed.subarray(2, 29), framed.subarray(29)]), [m.toString(), m.toString()]);
  });

  test("a last message without its end is kept when the sender closes", () => {
    assert.deepEqual(feed(["<13>a: one\n<13>a: two"]), ["<13>a: one", "<13>a: two"]);
  });
});

describe("kernel records", () => {
  test("a record read from this machine's /dev/kmsg", () => {
    assert.deepEqual(parseKmsg("6,975,13912314141,-;vethea07484 (unregistering): left promiscuous mode\n"), {
      priority: 6,
      facility: 0,
      seq: 975,
      monotonic: 13912314141,
      message: "vethea07484 (unregistering): left promiscuous mode",
      dict: {},
    });
  });

  test("continuation lines and \\xNN escapes (a backslash, UTF-8 bytes, a tab)", () => {
    const e = parseKmsg("3,12,3456,c,caller=T1;usb 1-1: n\\x5cm \\xc3\\xa9t\\x09\\xc3\\xa9\n SUBSYSTEM=usb\n DEVICE=c189:1\n")!;
    assert.equal(e.message, "usb 1-1: n\\m ét\té");
    assert.deepEqual(e.dict, { SUBSYSTEM: "usb", DEVICE: "c189:1" });
    const r = kmsgRecord(e, "boot-1");
    assert.equal(r.unit, "kernel");
    assert.equal(r.priority, 3);
    assert.equal(r.monotonic, 3456);
    assert.deepEqual(r.fields, { transport: "kernel", seqnum: 12, boot_id: "boot-1", subsystem: "usb", device: "c189:1" });
    assert.equal(unescapeKmsg("\\xZZ"), "\\xZZ", "not an escape: kept");
  });

  test("a program's line written to /dev/kmsg is its tag's, not the kernel's", () => {
    const r = kmsgRecord(parseKmsg("30,99,5000,-;systemd[1]: starting\n")!, "b");
    assert.equal(r.unit, "systemd");
    assert.equal(r.message, "starting");
    assert.equal(r.fields.pid, 1);
    assert.equal(r.fields.facility, 3);
  });

  test("not a record", () => {
    assert.equal(parseKmsg("no semicolon"), undefined);
    assert.equal(parseKmsg("x,1,2,-;text"), undefined);
  });
});

describe("Docker's log stream", () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };

  test("timestamps to µs, with or without a fraction", () => {
    assert.deepEqual(splitStamp("2024-11-23T10:00:01.123456789Z hello world"), { realtime: Date.UTC(2024, 10, 23, 10, 0, 1) * 1000 + 123456, text: "hello world" });
    assert.deepEqual(splitStamp("2024-11-23T10:00:01Z x"), { realtime: Date.UTC(2024, 10, 23, 10, 0, 1) * 1000, text: "x" });
    assert.equal(splitStamp("2024-11-23T10:00:01.5+01:00 x")!.realtime, Date.UTC(2024, 10, 23, 9, 0, 1) * 1000 + 500000);
    assert.equal(splitStamp("no stamp"), undefined);
  });

  test("multiplexed frames split across chunks: streams kept apart", () => {
    const all = Buffer.concat([frame(1, "2024-11-23T10:00:01.000001Z out\n"), frame(2, "2024-11-23T10:00:02.000002Z err\n")]);
    const d = new DockerLogDecoder(false);
    const got = [all.subarray(0, 5), all.subarray(5, 45), all.subarray(45)].flatMap((c) => d.push(c));
    assert.deepEqual(got.map((l) => [l.stream, l.text, l.realtime % 1_000_000]), [["stdout", "out", 1], ["stderr", "err", 2]]);
  });

  test("a TTY container's raw stream: lines across chunks, CRs dropped, the last kept at the end", () => {
    const d = new DockerLogDecoder(true);
    const got = [...d.push(Buffer.from("2024-11-23T10:00:01Z a\r\n2024-11-23T10:0")), ...d.push(Buffer.from("0:02Z b\r\n2024-11-23T10:00:03Z c")), ...d.end()];
    assert.deepEqual(got.map((l) => [l.stream, l.text]), [["stdout", "a"], ["stdout", "b"], ["stdout", "c"]]);
  });
});

describe("ros logs arguments", () => {
  const now = new Date("2024-11-23T12:00:00Z"); // 17:30 in Kolkata
  const us = (iso: string) => Date.parse(iso) * 1000;

  test("absolute times: ISO with a zone, local without one, dates, clock times, @epoch", () => {
    assert.equal(parseTime("2024-11-23T10:00:00Z", now), us("2024-11-23T10:00:00Z"));
    assert.equal(parseTime("2024-11-23T10:00:00.25+01:00", now), us("2024-11-23T09:00:00.250Z"));
    assert.equal(parseTime("2024-11-23 10:00", now), us("2024-11-23T04:30:00Z"), "local time");
    assert.equal(parseTime("2024-11-23 10:00:30 UTC", now), us("2024-11-23T10:00:30Z"));
    assert.equal(parseTime("2024-11-23", now), us("2024-11-22T18:30:00Z"), "local midnight");
    assert.equal(parseTime("10:00", now), us("2024-11-23T04:30:00Z"), "today, local");
    assert.equal(parseTime("@1700000000", now), 1700000000 * 1e6);
  });

  test("words and durations as journalctl takes them", () => {
    assert.equal(parseTime("now", now), us("2024-11-23T12:00:00Z"));
    assert.equal(parseTime("today", now), us("2024-11-22T18:30:00Z"));
    assert.equal(parseTime("Yesterday", now), us("2024-11-21T18:30:00Z"));
    assert.equal(parseTime("-10m", now), us("2024-11-23T11:50:00Z"));
    assert.equal(parseTime("1h ago", now), us("2024-11-23T11:00:00Z"));
    assert.equal(parseTime("2 days ago", now), us("2024-11-21T12:00:00Z"));
    assert.equal(parseTime("-1h 30min", now), us("2024-11-23T10:30:00Z"));
    assert.equal(parseTime("+5m", now), us("2024-11-23T12:05:00Z"));
    assert.equal(parseTime("90s", now), us("2024-11-23T11:58:30Z"), "a bare duration is that long ago");
  });

  test("not a time: said with examples", () => {
    for (const bad of ["soon", "2024-02-30", "2024-13-01", "25:00", "+5m ago", "10 parsecs ago", "", "constructor"]) {
      assert.throws(() => parseTime(bad, now), /not a time: .*use a time like/, bad);
    }
  });

  test("priorities by number, name or alias; ranges; bad ones name the choices", () => {
    assert.equal(parsePriority("3"), 3);
    assert.equal(parsePriority("warning"), 4);
    assert.equal(parsePriority("ERROR"), 3);
    assert.throws(() => parsePriority("8"), /unknown priority "8": use 0-7 or one of emerg, alert, crit, err, warning, notice, info, debug/);
    assert.throws(() => parsePriority("loud"), /unknown priority "loud"/);
    assert.deepEqual(filterOf({ priority: "warning..err", unit: ["a", "b"] }), { units: ["a", "b"], minPriority: 3, maxPriority: 4 });
    assert.throws(() => filterOf({ priority: "x" }), /ros logs: bad --priority: unknown priority "x"/);
    assert.throws(() => filterOf({ since: "later" }), /ros logs: bad --since: not a time: "later"/);
    assert.throws(() => filterOf({ since: "2024-11-23", until: "2024-11-22" }), /--since 2024-11-23 is after --until 2024-11-22/);
  });

  test("short output, like journalctl, in local time", () => {
    const r: JournalRecord = { realtime: us("2024-11-23T04:30:01.5Z"), monotonic: 1, unit: "sshd", priority: 6, message: "a\nb", fields: { pid: 42 } };
    assert.equal(formatShort(r, "h1"), "Nov 23 10:00:01 h1 sshd[42]: a\n                             b");
    assert.equal(formatShort({ ...r, fields: {} }, "h1").split("\n")[0], "Nov 23 10:00:01 h1 sshd: a");
  });
});

describe("the store", () => {
  let clock = 1_700_000_000_000_000;
  const rec = (unit: string, message: string, priority = 6, fields: JournalRecord["fields"] = {}): JournalRecord => ({ realtime: (clock += 1000), monotonic: 5, unit, priority, message, fields });

  test("records read back in order, filtered by unit, priority and time; the last N", () => {
    const dir = tempDir();
    const w = new JournalWriter(dir);
    const written = [rec("a", "one"), rec("b", "two", 3), rec("a", "three", 4), rec('q"u', "four", 7)];
    w.append(written);
    w.close();
    const all = [...recordsFrom(dir)].map((x) => x.record);
    assert.deepEqual(all, written);
    const msgs = (f: Parameters<typeof recordsFrom>[2]) => [...recordsFrom(dir, undefined, f)].map((x) => x.record.message);
    assert.deepEqual(msgs({ units: ["a"] }), ["one", "three"]);
    assert.deepEqual(msgs({ units: ['q"u'] }), ["four"], "a unit that JSON escapes");
    assert.deepEqual(msgs({ maxPriority: 4 }), ["two", "three"]);
    assert.deepEqual(msgs({ since: written[1]!.realtime, until: written[2]!.realtime }), ["two", "three"]);
    assert.deepEqual(lastRecords(dir, 2).map((r) => r.message), ["three", "four"]);
    assert.deepEqual(lastRecords(dir, 1, { units: ["a"] }).map((r) => r.message), ["three"]);
    assert.deepEqual(lastRecords(dir, 0), []);
  });

  test("rotation: files capped, the oldest dropped at the total cap, reading across files in order", () => {
    const dir = tempDir();
    const w = new JournalWriter(dir, { maxFileBytes: 1000, maxTotalBytes: 3500 });
    const written: JournalRecord[] = [];
    for (let i = 0; i < 100; i++) {
      const r = rec("u", `message ${i} ${"x".repeat(50)}`);
      written.push(r);
      w.append([r]);
    }
    w.close();
    const files = journalFiles(dir);
    assert.ok(files.length >= 3 && files.length <= 5, `${files.length} files`);
    for (const f of files) assert.ok(statSync(f.path).size <= 1000, `${f.path} is ${statSync(f.path).size} bytes`);
    const total = files.reduce((n, f) => n + statSync(f.path).size, 0);
    assert.ok(total <= 3500, `${total} bytes kept`);
    assert.ok(files[0]!.seq > 1, "the first files were deleted");
    const read = [...recordsFrom(dir)].map((x) => x.record);
    assert.deepEqual(read, written.slice(-read.length), "what is left is the newest, in order, none missing");
    assert.ok(read.length > 12);
    assert.deepEqual(lastRecords(dir, 12), written.slice(-12), "the last N span files");
  });

  test("a record bigger than the file cap gets a file of its own", () => {
    const dir = tempDir();
    const w = new JournalWriter(dir, { maxFileBytes: 100, maxTotalBytes: 10_000 });
    w.append([rec("u", "small"), rec("u", "y".repeat(500)), rec("u", "after")]);
    w.close();
    assert.equal(journalFiles(dir).length, 3);
    assert.deepEqual([...recordsFrom(dir)].map((x) => x.record.message.slice(0, 5)), ["small", "yyyyy", "after"]);
  });

  test("a torn last line: readers stop before it; a new writer ends it and carries on", () => {
    const dir = tempDir();
    const w = new JournalWriter(dir);
    w.append([rec("u", "whole")]);
    w.close();
    const file = journalFiles(dir)[0]!.path;
    appendFileSync(file, '{"realtime":1,"monot');
    assert.deepEqual([...recordsFrom(dir)].map((x) => x.record.message), ["whole"]);
    assert.equal(endPosition(dir).offset, readFileSync(file, "utf8").indexOf("\n") + 1, "following starts after the last whole line");
    const w2 = new JournalWriter(dir);
    w2.append([rec("u", "next")]);
    w2.close();
    assert.deepEqual([...recordsFrom(dir)].map((x) => x.record.message), ["whole", "next"]);
  });

  test("reading up to a position leaves out what was written after it", () => {
    const dir = tempDir();
    const w = new JournalWriter(dir, { maxFileBytes: 200, maxTotalBytes: 10_000 });
    w.append([rec("u", "a"), rec("u", "b")]);
    const end = w.position();
    w.append([rec("u", "c"), rec("u", "d")]);
    w.close();
    assert.deepEqual([...recordsFrom(dir, undefined, {}, end)].map((x) => x.record.message), ["a", "b"]);
    assert.deepEqual(lastRecords(dir, 10, {}, end).map((r) => r.message), ["a", "b"]);
    assert.deepEqual([...recordsFrom(dir, end)].map((x) => x.record.message), ["c", "d"]);
  });

  test("cursors: the snapshot plus the records written after it, even when the snapshot is lost", () => {
    const dir = tempDir();
    const w = new JournalWriter(dir);
    const dock = (t: number, id: string) => ({ ...rec("web", "x", 6, { transport: "docker", scope: "user", container_id: id, stream: "stdout" }), realtime: t });
    const kern = (seq: number, boot: string) => rec("kernel", "k", 6, { transport: "kernel", seqnum: seq, boot_id: boot });
    w.append([dock(100, "c1"), dock(200, "c1"), dock(200, "c1"), kern(7, "b1")]);
    const s = loadState(dir);
    assert.deepEqual(s.docker, { "user/c1": { realtime: 200, count: 2 } });
    assert.deepEqual(s.kmsg, { boot: "b1", seq: 7 });
    saveState(dir, { ...s, position: w.position() });
    // Written after the snapshot, as if the service died before the next one.
    w.append([dock(200, "c1"), dock(300, "c2"), kern(1, "b2")]);
    w.close();
    const again = loadState(dir);
    assert.deepEqual(again.docker, { "user/c1": { realtime: 200, count: 3 }, "user/c2": { realtime: 300, count: 1 } });
    assert.deepEqual(again.kmsg, { boot: "b2", seq: 1 }, "a new boot's sequence starts over");
    writeFileSync(join(dir, "state.json"), "{torn");
    assert.deepEqual(loadState(dir).docker, again.docker, "rebuilt from the records alone");
    assert.ok(readdirSync(dir).includes("state.json"));
    const older = { position: { file: 0, offset: 0 }, docker: { "user/c1": { realtime: 500, count: 1 } } };
    advance(older, dock(400, "c1"));
    assert.deepEqual(older.docker["user/c1"], { realtime: 500, count: 1 }, "an older line never moves a cursor back");
  });
});
