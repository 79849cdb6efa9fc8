// Hostile config input: alias bombs, oversized and binary files, deep nesting of every kind, floods
// of bad keys, seeded random garbage. Each must end in a positioned error (or validate, for the big
// valid file) within a bounded time, and never throw.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorsIn, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { MAX_CONFIG_BYTES, MAX_DEPTH } from "../../cloud-config/parse.ts";
import { validateText, type Validated } from "../../cloud-config/validate.ts";
import { rng } from "../fixtures/rng.ts";

const BOUND_MS = 2000;
const show = (ds: Diagnostic[]) => ds.map(formatDiagnostic).join("\n").slice(0, 2000);

/** Validates within the time bound, never throwing; every diagnostic lies inside the text. */
function timed(input: string | Buffer, file = "hostile.yml"): Validated & { ms: number } {
  const started = performance.now();
  let v: Validated;
  try {
    v = validateText(input, file);
  } catch (e) {
    assert.fail(`validateText threw: ${(e as Error).stack}`);
  }
  const ms = performance.now() - started;
  assert.ok(ms < BOUND_MS, `took ${ms.toFixed(0)} ms (bound ${BOUND_MS} ms)`);
  const text = typeof input === "string" ? input : input.toString("utf8");
  const lineCount = text.split("\n").length;
  for (const d of v.diagnostics) {
    assert.equal(d.file, file);
    assert.ok(Number.isInteger(d.line) && Number.isInteger(d.col) && d.line >= 1 && d.col >= 1 && d.line <= lineCount, `not a position in the text: ${formatDiagnostic(d)}`);
    assert.ok(d.message.length > 0 && (d.hint ?? "").length > 0, `no message or hint: ${formatDiagnostic(d)}`);
  }
  return { ...v, ms };
}

/** Exactly one error, saying `what`, at `at` ("line:col") when given; nothing applies. */
function oneError(v: Validated, what: RegExp, at?: string): Diagnostic {
  const errors = errorsIn(v.diagnostics);
  assert.equal(errors.length, 1, show(v.diagnostics));
  const e = errors[0]!;
  assert.match(e.message, what, formatDiagnostic(e));
  if (at) assert.equal(`${e.line}:${e.col}`, at, formatDiagnostic(e));
  assert.equal(v.config, undefined);
  return e;
}

describe("aliases", () => {
  test("billion laughs: nine levels of nine aliases", () => {
    const lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i <= 9; i++) lines.push(`lol${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(", ")}]`);
    const v = timed(lines.join("\n") + "\n");
    const e = oneError(v, /expands too much/);
    assert.match(e.hint ?? "", /fewer aliases/);
  });

  test("a flat flood of aliases", () => {
    const text = "a: &a [x, y, z]\n" + Array.from({ length: 5000 }, (_, i) => `k${i}: *a`).join("\n") + "\n";
    oneError(timed(text), /expands too much/);
  });

  test("a few aliases are fine", () => {
    const v = timed("write_files:\n  - &f\n    path: /a\n    content: x\n  - path: /b\n    content: hello\nruncmd: &cmds [date, uptime]\nbootcmd: *cmds\n");
    assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
    assert.deepEqual(v.config?.bootcmd, ["date", "uptime"]);
  });
});

describe("size", () => {
  test("a 10 MB file is refused before it is parsed", () => {
    const text = "runcmd:\n" + "  - echo this line is forty bytes long..\n".repeat(Math.ceil((10 * 1024 * 1024) / 41));
    assert.ok(Buffer.byteLength(text) >= 10 * 1024 * 1024);
    for (const input of [text, Buffer.from(text)]) {
      const v = timed(input);
      const e = oneError(v, /MiB, over the 2 MiB limit/, "1:1");
      assert.match(e.message, /^the file is 10\.\d MiB/);
    }
  });

  test("one byte over the limit is refused; a file at the limit is read", () => {
    const body = (n: number) => "hostname: x\n#" + "x".repeat(n - "hostname: x\n#".length - 1) + "\n";
    const over = body(MAX_CONFIG_BYTES + 1);
    assert.equal(Buffer.byteLength(over), MAX_CONFIG_BYTES + 1);
    oneError(timed(over), /over the 2 MiB limit/, "1:1");
    const at = body(MAX_CONFIG_BYTES);
    const v = timed(at);
    assert.deepEqual(v.diagnostics, [], show(v.diagnostics));
    assert.deepEqual(v.config, { hostname: "x" });
  });

  test("a flood of unknown keys: a bounded list, and a count of the rest", () => {
    const n = 10000;
    const text = "hostname: kept\n" + Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join("\n") + "\n";
    const v = timed(text);
    const errors = errorsIn(v.diagnostics);
    assert.ok(errors.length <= 101, `${errors.length} errors listed`);
    assert.equal(`${errors[0]!.line}:${errors[0]!.col}`, "2:1");
    assert.match(errors[0]!.message, /unknown key `k0`/);
    const rest = errors.find((e) => /more problems/.test(e.message));
    assert.ok(rest, show(errors));
    assert.match(rest.message, new RegExp(`^${n - (errors.length - 1)} more problems`));
    // Every bad key is still dropped, and the good one applies.
    assert.deepEqual(v.config, { hostname: "kept" });
  });
});

describe("binary and garbage", () => {
  test("random bytes (seeded) are binary data, at a line", () => {
    for (const seed of [1, 2, 3, 42, 1337]) {
      const next = rng(seed);
      const bytes = Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(next() * 256)));
      const v = timed(bytes, `garbage-${seed}.yml`);
      const e = oneError(v, /binary data, not YAML text/);
      assert.equal(e.col, 1);
    }
  });

  test("a NUL byte after valid lines is placed on its line", () => {
    const v = timed(Buffer.concat([Buffer.from("hostname: a\nruncmd: [b]\n"), Buffer.from([0x00, 0x01]), Buffer.from("\n")]));
    oneError(v, /binary data/, "3:1");
  });

  test("gzip user data given as a config file is binary, not a crash", () => {
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    const e = oneError(timed(gz), /binary data/);
    assert.match(e.hint ?? "", /gzip/);
  });

  test("seeded printable garbage made of YAML's own punctuation never throws", () => {
    const alphabet = "ab01 :-?[]{},&*!|>'\"%@`#\n\n  \t".split("");
    for (let seed = 0; seed < 200; seed++) {
      const next = rng(seed);
      const text = Array.from({ length: 1 + Math.floor(next() * 3000) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      const v = timed(text, `fuzz-${seed}.yml`);
      // Either it reads (then what applies is a valid config) or it says where it does not.
      if (v.config === undefined) assert.ok(errorsIn(v.diagnostics).length > 0, `seed ${seed}: nothing applies and nothing says why`);
    }
  });
});

describe("parse errors", () => {
  test("after a stray ] the parser recovers from, later errors are still placed on their own lines", () => {
    // The parser's own line count missed the newline inside the scalar "c\n d": 3:3 came out as 2:10.
    const v = timed("x: 1\n] b: c\n d: e\n");
    const at = errorsIn(v.diagnostics).map((e) => `${e.line}:${e.col}`);
    assert.ok(at.includes("3:3"), show(v.diagnostics));
    assert.ok(!at.includes("2:10"), show(v.diagnostics));
  });

  test("the text of a line that does not read is not quoted back (it may be a secret), its punctuation is", () => {
    const v = timed("rancher:\n  agent:\n    token: ] SWMTKN-1-s3cret\nusers:\n  - passwd: |x hunter2\n");
    const said = show(v.diagnostics);
    assert.doesNotMatch(said, /s3cret|hunter2/);
    assert.match(said, /hostile\.yml:3:12: Unexpected flow-seq-end token in YAML stream: "\]"/);
    assert.match(said, /hostile\.yml:3:14: Unexpected scalar token in YAML stream \(/);
  });
});

describe("nesting", () => {
  test("100000 nested [ is refused at the bracket past the limit, before parsing", () => {
    const v = timed("[".repeat(100000));
    oneError(v, new RegExp(`nested more than ${MAX_DEPTH} levels`), `1:${MAX_DEPTH + 1}`);
  });

  test("nested { after a key and on a later line are placed there", () => {
    oneError(timed("hostname: x\nrancher: " + "{a: ".repeat(100000)), /nested more than 64 levels/, `2:${"rancher: ".length + 4 * MAX_DEPTH + 1}`);
    oneError(timed("a:\n  - " + "[".repeat(65) + "]".repeat(65) + "\n"), /nested more than 64 levels/, `2:${4 + 65}`);
  });

  test("brackets inside quotes and comments do not count", () => {
    const deep = "[".repeat(200);
    const v = timed(`hostname: x # ${deep}\nruncmd:\n  - "echo ${deep}"\n  - 'echo ${deep}'\n`);
    assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
    assert.deepEqual(v.config?.runcmd, [`echo ${deep}`, `echo ${deep}`]);
  });

  test("flow nesting at the limit reads", () => {
    // 64 levels of [ ] under runcmd's list item: read, then refused by the schema, not by the parser.
    const v = timed(`runcmd:\n  - ${"[".repeat(MAX_DEPTH - 2)}x${"]".repeat(MAX_DEPTH - 2)}\n`);
    for (const d of v.diagnostics) assert.doesNotMatch(d.message, /nested/, formatDiagnostic(d));
  });

  test("compact block nesting: 900000 '- ' on one line is refused at the indicator past the limit", () => {
    const text = "- ".repeat(900000) + "x\n";
    assert.ok(Buffer.byteLength(text) < MAX_CONFIG_BYTES);
    oneError(timed(text), /nested more than 64 levels/, `1:${2 * MAX_DEPTH + 1}`);
    oneError(timed("a:\n  " + "? ".repeat(100000) + "x\n"), /nested more than 64 levels/, `2:${3 + 2 * MAX_DEPTH}`);
  });

  test("compact block nesting at the limit is not refused for its depth", () => {
    const v = timed("runcmd:\n  " + "- ".repeat(MAX_DEPTH - 1) + "x\n");
    for (const d of v.diagnostics) assert.doesNotMatch(d.message, /nested/, formatDiagnostic(d));
  });

  test("indented block nesting one past the limit is refused where it goes too deep", () => {
    const nest = (levels: number) => Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " x\n";
    // Level i (1-based) is the map on line i; the node at depth 65 is the map that starts on line 66.
    oneError(timed(nest(MAX_DEPTH + 2)), /nested more than 64 levels/, `${MAX_DEPTH + 2}:${MAX_DEPTH + 2}`);
    const ok = timed(nest(MAX_DEPTH));
    for (const d of ok.diagnostics) assert.doesNotMatch(d.message, /nested/, formatDiagnostic(d));
  });

  test("indented block nesting as deep as 2 MiB allows: refused before parsing, where it first goes too deep", () => {
    // The parser would run out of stack somewhere past ~900 levels, where depends on the process:
    // the same file must get the same error in `ros config validate` as at boot.
    const levels = 2000;
    const text = Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " x\n";
    assert.ok(Buffer.byteLength(text) <= MAX_CONFIG_BYTES);
    const e = oneError(timed(text), /nested more than 64 levels/, `${MAX_DEPTH + 2}:${MAX_DEPTH + 2}`);
    assert.match(e.hint ?? "", /flatten/);
    // Each "- a:" line opens a list and a map: line 33 holds the 65th and 66th levels.
    const seqs = Array.from({ length: 1000 }, (_, i) => `${" ".repeat(2 * i)}- a:`).join("\n") + " x\n";
    oneError(timed(seqs), /nested more than 64 levels/, "33:65");
  });

  test("block scalars' indented text does not count as nesting", () => {
    const script = Array.from({ length: 300 }, (_, i) => `      ${" ".repeat(i)}line ${i}`).join("\n");
    const v = timed(`write_files:\n  - path: /deep.txt\n    content: |\n${script}\n  - path: /b\n    content: >-\n      folded\n`);
    assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
    assert.equal(v.config?.write_files?.length, 2);
  });
});

describe("a large valid config", () => {
  test("1000 lines validate quickly, every value applied", () => {
    const lines = ["#cloud-config", "hostname: big-host", "ssh_authorized_keys:"];
    for (let i = 0; i < 50; i++) lines.push(`  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${i} user${i}@example.com`);
    lines.push("write_files:");
    for (let i = 0; i < 100; i++) lines.push(`  - path: /etc/corral/file-${i}.conf`, `    permissions: "0644"`, `    owner: root:root`, `    content: |`, `      value=${i}`);
    lines.push("rancher:", "  sysctl:");
    for (let i = 0; i < 100; i++) lines.push(`    net.ipv4.conf.eth${i}.rp_filter: ${i % 2}`);
    lines.push("  services:");
    let services = 0;
    for (; lines.length < 996; services++) lines.push(`    svc-${services}:`, `      image: local/svc:${services}`, `      restart: always`, `      labels:`, `        io.rancher.os.scope: system`);
    lines.push("  network:", "    dns:", "      nameservers: [10.0.0.2]");
    while (lines.length < 1000) lines.push("# padding");
    assert.equal(lines.length, 1000);
    const v = timed(lines.join("\n") + "\n", "big.yml");
    assert.deepEqual(v.diagnostics, [], show(v.diagnostics));
    assert.equal(v.config?.ssh_authorized_keys?.length, 50);
    assert.equal(v.config?.write_files?.length, 100);
    assert.equal(v.config?.write_files?.[99]?.content, "value=99\n");
    assert.equal(Object.keys(v.config?.rancher?.sysctl ?? {}).length, 100);
    assert.ok(services > 50);
    assert.equal(Object.keys(v.config?.rancher?.services ?? {}).length, services);
    assert.ok(v.ms < 1000, `a 1000-line config took ${v.ms.toFixed(0)} ms`);
  });

  test("the same config with one mistake: one error at its line, the other 999 lines apply", () => {
    const lines = ["hostname: big-host", "runcmd:"];
    for (let i = 0; i < 997; i++) lines.push(`  - echo ${i}`);
    lines.push("timezone: Not A Zone");
    const v = timed(lines.join("\n") + "\n");
    const errors = errorsIn(v.diagnostics);
    assert.deepEqual(errors.map((e) => `${e.line}:${e.col}`), ["1000:11"], show(errors));
    assert.equal(v.config?.runcmd?.length, 997);
    assert.equal(v.config?.hostname, "big-host");
  });
});
