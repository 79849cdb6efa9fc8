// User data in every format cloud-init users write, decoded by content: plain documents, gzip,
// MIME multipart as `cloud-init devel make-mime` writes it, #include over real HTTP, archives, and
// the bounds that keep hostile input (gzip bombs, deep nesting, hanging servers) harmless.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, readdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { decodeUserData, type DecodedUserData, type DecodeOptions } from "../../cloud-config/userdata/decode.ts";

const SRC = "nocloud:/dev/vdb:/user-data";
const offline: DecodeOptions = { fetchInclude: async (url) => Promise.reject(new Error(`offline test, not fetching ${url}`)) };

/** Decodes and checks what every diagnostic must carry: a source, a position, a message and a hint. */
async function decode(data: Buffer | string, opts: DecodeOptions = offline, source = SRC): Promise<DecodedUserData> {
  const r = await decodeUserData(typeof data === "string" ? Buffer.from(data) : data, source, opts);
  for (const d of r.diagnostics) {
    assert.ok(d.file.length > 0, formatDiagnostic(d));
    assert.ok(d.line >= 1 && d.col >= 1, formatDiagnostic(d));
    assert.ok(d.message.length > 0 && (d.hint ?? "").length > 0, `no hint: ${formatDiagnostic(d)}`);
  }
  return r;
}

const lines = (ds: Diagnostic[]) => ds.map(formatDiagnostic);

// A MIME message laid out as Python's email package (and so make-mime) writes it.
interface MimePart {
  type: string;
  body: string | Buffer;
  charset?: string;
  encoding?: "7bit" | "base64" | "quoted-printable";
  filename?: string;
}

function mime(parts: MimePart[], boundary = "===============4213178462781414409=="): string {
  const out = [`Content-Type: multipart/mixed; boundary="${boundary}"`, "MIME-Version: 1.0", ""];
  for (const p of parts) {
    out.push(`--${boundary}`);
    out.push(`Content-Type: ${p.type}${p.charset ? `; charset="${p.charset}"` : ""}`, "MIME-Version: 1.0");
    // A Buffer body is base64-encoded here; a string body is written as it is, already encoded.
    const encoding = typeof p.body === "string" ? (p.encoding ?? "7bit") : "base64";
    out.push(`Content-Transfer-Encoding: ${encoding}`);
    if (p.filename) out.push(`Content-Disposition: attachment; filename="${p.filename}"`);
    out.push("");
    if (typeof p.body !== "string") {
      const b64 = p.body.toString("base64");
      out.push((b64.match(/.{1,76}/g) ?? []).join("\n"), "");
    } else {
      out.push(p.body.toString());
    }
  }
  out.push(`--${boundary}--`, "");
  return out.join("\n");
}

describe("plain documents", () => {
  test("empty and whitespace-only user data is nothing, silently", async () => {
    for (const data of ["", "   \n\n\t\r\n"]) {
      assert.deepEqual(await decode(data), { cloudConfigs: [], scripts: [], diagnostics: [] });
    }
  });

  test("#cloud-config is one part, its text kept as written (YAML not parsed)", async () => {
    const text = "#cloud-config\nhostname: web-01\nthis: [is not: valid yaml\n";
    assert.deepEqual(await decode(text), { cloudConfigs: [{ source: SRC, text }], scripts: [], diagnostics: [] });
  });

  test("a UTF-8 byte order mark and CRLF line ends do not hide the header", async () => {
    const r = await decode(Buffer.from("\uFEFF#cloud-config\r\nhostname: a\r\n"));
    assert.deepEqual(r.cloudConfigs, [{ source: SRC, text: "#cloud-config\r\nhostname: a\r\n" }]);
  });

  test("#! is a script", async () => {
    const text = "#!/bin/sh\necho hello > /tmp/hello\n";
    assert.deepEqual(await decode(text), { cloudConfigs: [], scripts: [{ source: SRC, text }], diagnostics: [] });
  });

  test("boothooks, part handlers and jinja templates are warned about and skipped", async () => {
    for (const [header, type] of [
      ["#cloud-boothook", "text/cloud-boothook"],
      ["#part-handler", "text/part-handler"],
      ["## template: jinja", "text/jinja2"],
      ["#upstart-job", "text/upstart-job"],
    ]) {
      const r = await decode(`${header}\nsomething\n`);
      assert.deepEqual(r.cloudConfigs, []);
      assert.deepEqual(r.scripts, []);
      assert.equal(r.diagnostics.length, 1);
      assert.match(formatDiagnostic(r.diagnostics[0]!), new RegExp(`^${SRC}:1:1: warning: part type ${type} \\(${header}\\) is not supported on Corral, skipped \\(.+\\)$`));
    }
  });

  test("text in no known format is a warning quoting its first line and listing the accepted headers", async () => {
    const r = await decode("hostname: forgot-the-header\n");
    assert.deepEqual(lines(r.diagnostics), [
      `${SRC}:1:1: warning: user data is not a format Corral reads (first line: "hostname: forgot-the-header") (start it with one of: #cloud-config, #! (a script), #include, #include-once, #cloud-config-archive, a MIME multipart message (Content-Type: multipart/mixed), or any of these gzipped)`,
    ]);
  });

  test("binary garbage and non-UTF-8 text are warnings, never throws", async () => {
    let seed = 7;
    const random = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16));
    for (const data of [random, Buffer.from([0xff, 0xfe, 0x00, 0x23, 0x21]), Buffer.from("#cloud-config\nname: caf\xe9\n", "latin1"), Buffer.from([0x1f])]) {
      const r = await decode(data);
      assert.deepEqual([r.cloudConfigs, r.scripts], [[], []]);
      assert.equal(r.diagnostics.length, 1);
      assert.equal(r.diagnostics[0]!.severity, "warning");
      assert.match(r.diagnostics[0]!.message, /^user data is not a format Corral reads \(first line: ".*"\)/s);
    }
  });
});

describe("gzip", () => {
  test("gzipped user data is decompressed and decoded, also gzip inside gzip", async () => {
    const text = "#cloud-config\nhostname: zipped\n";
    assert.deepEqual((await decode(gzipSync(text))).cloudConfigs, [{ source: SRC, text }]);
    assert.deepEqual((await decode(gzipSync(gzipSync("#!/bin/sh\ntrue\n")))).scripts, [{ source: SRC, text: "#!/bin/sh\ntrue\n" }]);
  });

  test("corrupt gzip is an error, not a throw", async () => {
    const r = await decode(gzipSync("#cloud-config\na: 1\n").subarray(0, 12));
    assert.deepEqual(r.cloudConfigs, []);
    assert.equal(r.diagnostics.length, 1);
    assert.match(formatDiagnostic(r.diagnostics[0]!), new RegExp(`^${SRC}:1:1: gzip data is corrupt \\(.+\\), skipped \\(.+\\)$`));
  });

  test("a gzip bomb (1 GiB of zeros in 1 MiB) is refused quickly, without decompressing it all", async () => {
    // gzip members concatenate: 64 copies of 16 MiB of zeros, compressed once, make 1 GiB.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    assert.ok(bomb.length < 2 * 1024 * 1024);
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;
    const r = await decode(bomb);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024);
    assert.deepEqual(lines(r.diagnostics), [
      `${SRC}:1:1: gzip data expands past the 16 MiB of user data Corral reads, skipped (send less: the user data, everything gunzipped and everything fetched count together)`,
    ]);

    // The same bomb as a base64 MIME part costs only that part.
    const m = await decode(mime([{ type: "text/cloud-config", body: "#cloud-config\na: 1\n" }, { type: "application/gzip", body: bomb }]));
    assert.equal(m.cloudConfigs.length, 1);
    assert.match(lines(m.diagnostics).join("\n"), new RegExp(`^${SRC}#part2:1:1: gzip data expands past`));
  });

  test("maxBytes bounds the input and everything gunzipped from it", async () => {
    const big = `#cloud-config\n# ${"x".repeat(2000)}\n`;
    const r = await decode(big, { ...offline, maxBytes: 1000 });
    assert.match(lines(r.diagnostics).join(), /user data is 2017 bytes, more than the 1000 bytes Corral reads; it was ignored/);
    const z = await decode(gzipSync(big), { ...offline, maxBytes: 1000 });
    assert.deepEqual(z.cloudConfigs, []);
    assert.match(lines(z.diagnostics).join(), /gzip data expands past the 1000 bytes of user data Corral reads/);
  });
});

describe("MIME multipart", () => {
  test("a make-mime message: two cloud-configs, a script, a gzip+base64 part and an unsupported part", async () => {
    const base = "#cloud-config\nhostname: web-01\n";
    const users = "#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 AAAA me@laptop\n";
    const script = "#!/bin/sh\necho provisioned > /var/log/provision\n";
    const zipped = "#cloud-config\nruncmd:\n  - [touch, /tmp/from-gzip]\n";
    const data = mime([
      { type: "text/cloud-config", body: base, charset: "us-ascii", filename: "base.yml" },
      { type: "text/cloud-config", body: Buffer.from(users), charset: "utf-8", filename: "users.yml" },
      { type: "text/x-shellscript", body: script, charset: "us-ascii", filename: "provision.sh" },
      { type: "text/cloud-config", body: gzipSync(zipped), filename: "zipped.yml.gz" },
      { type: "text/cloud-boothook", body: "#cloud-boothook\necho early\n", charset: "us-ascii", filename: "hook.sh" },
    ]);
    const r = await decode(data);
    assert.deepEqual(r.cloudConfigs, [
      { source: `${SRC}#part1(base.yml)`, text: base },
      { source: `${SRC}#part2(users.yml)`, text: users },
      { source: `${SRC}#part4(zipped.yml.gz)`, text: zipped },
    ]);
    assert.deepEqual(r.scripts, [{ source: `${SRC}#part3(provision.sh)`, text: script }]);
    assert.deepEqual(lines(r.diagnostics), [
      `${SRC}#part5(hook.sh):1:1: warning: part type text/cloud-boothook is not supported on Corral, skipped (Corral runs no boothooks; put the commands in a #! script part or in runcmd of a #cloud-config part)`,
    ]);
  });

  test("quoted-printable, text/plain by content, CRLF lines, and a nested multipart", async () => {
    const inner = mime([{ type: "text/x-shellscript", body: "#!/bin/sh\necho inner\n" }], "inner-boundary").replace(/^Content-Type: .*\nMIME-Version: 1.0\n\n/, "");
    const outer = [
      'Content-Type: multipart/mixed; boundary="outer"',
      "MIME-Version: 1.0",
      "",
      "This is the preamble, ignored.",
      "--outer",
      "Content-Type: text/cloud-config; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "#cloud-config",
      "motd: caf=C3=A9 and a very long line that was wrapped by quoted-printable =",
      "soft break=3D ok   ",
      "--outer",
      "Content-Type: text/plain",
      "",
      "#!/bin/bash",
      "echo detected by content",
      "--outer",
      'Content-Type: multipart/mixed; boundary="inner-boundary"',
      "",
      inner.trimEnd(),
      "--outer--",
      "epilogue, ignored",
    ].join("\r\n");
    const r = await decode(outer);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.cloudConfigs, [
      { source: `${SRC}#part1`, text: "#cloud-config\r\nmotd: café and a very long line that was wrapped by quoted-printable soft break= ok" },
    ]);
    assert.deepEqual(r.scripts, [
      { source: `${SRC}#part2`, text: "#!/bin/bash\r\necho detected by content" },
      { source: `${SRC}#part3#part1`, text: "#!/bin/sh\necho inner\n" },
    ]);
  });

  test("per-boot scripts are scripts; per-instance and per-once scripts and unknown types are skipped with a warning", async () => {
    const s = "#!/bin/sh\ntrue\n";
    const r = await decode(
      mime([
        { type: "text/x-shellscript-per-boot", body: s },
        { type: "text/x-shellscript-per-instance", body: s },
        { type: "text/x-shellscript-per-once", body: s },
        { type: "text/part-handler", body: "#part-handler\n" },
        { type: "text/jinja2", body: "## template: jinja\n#cloud-config\n" },
        { type: "text/cloud-config", body: "## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n" },
        { type: "application/x-unheard-of", body: "?" },
        { type: "text/x-shellscript", body: "echo no interpreter line\n" },
      ]),
    );
    assert.deepEqual(r.scripts, [{ source: `${SRC}#part1`, text: s }]);
    assert.deepEqual(r.cloudConfigs, []);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.file, d.severity, d.message]),
      [
        [`${SRC}#part2`, "warning", "part type text/x-shellscript-per-instance is not supported on Corral, skipped"],
        [`${SRC}#part3`, "warning", "part type text/x-shellscript-per-once is not supported on Corral, skipped"],
        [`${SRC}#part4`, "warning", "part type text/part-handler is not supported on Corral, skipped"],
        [`${SRC}#part5`, "warning", "part type text/jinja2 is not supported on Corral, skipped"],
        [`${SRC}#part6`, "warning", "part type text/jinja2 is not supported on Corral, skipped"],
        [`${SRC}#part7`, "warning", "part type application/x-unheard-of is not supported on Corral, skipped"],
        [`${SRC}#part8`, "warning", 'text/x-shellscript part does not start with "#!", skipped'],
      ],
    );
  });

  test("a single-part MIME message is decoded by its Content-Type", async () => {
    const r = await decode("Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\nI2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogYQo=\n");
    assert.deepEqual(r, { cloudConfigs: [{ source: SRC, text: "#cloud-config\nhostname: a\n" }], scripts: [], diagnostics: [] });
  });

  test("broken parts cost only themselves: bad base64, unknown encoding, no boundary, truncated message", async () => {
    const good = { type: "text/cloud-config", body: "#cloud-config\na: 1\n" };
    const r = await decode(mime([good, { type: "text/cloud-config", body: "not*base64!", encoding: "base64" }]));
    assert.equal(r.cloudConfigs.length, 1);
    assert.deepEqual(lines(r.diagnostics), [
      `${SRC}#part2:1:1: base64 body holds "*", which base64 never uses, part skipped (re-encode the part, e.g. with \`base64 -w 76\`, or send it as 7bit text)`,
    ]);

    const uu = await decode(mime([good]).replace("Content-Transfer-Encoding: 7bit", "Content-Transfer-Encoding: x-uuencode"));
    assert.match(lines(uu.diagnostics).join(), /#part1:1:1: Content-Transfer-Encoding "x-uuencode" is not one Corral decodes, part skipped/);

    const nob = await decode("Content-Type: multipart/mixed\n\n--x\n\n#cloud-config\n--x--\n");
    assert.match(lines(nob.diagnostics).join(), new RegExp(`^${SRC}:1:1: multipart content has no boundary parameter, skipped`));

    const cut = mime([good, good]);
    const truncated = await decode(cut.slice(0, cut.lastIndexOf("--=")));
    assert.equal(truncated.cloudConfigs.length, 2);
    assert.deepEqual(truncated.diagnostics.map((d) => [d.severity, d.file]), [["warning", SRC]]);
    assert.match(truncated.diagnostics[0]!.message, /ends without its closing line/);
  });

  test("nesting is bounded: deep multiparts and gzip layers are errors, not stack overflows", async () => {
    let doc = "#cloud-config\ndeepest: true\n";
    // Each part after the first is a whole MIME message again, sent as text/plain and so read by content.
    for (let i = 0; i < 12; i++) doc = mime([{ type: i === 0 ? "text/cloud-config" : "text/plain", body: doc }], `b${i}`);
    const r = await decode(doc);
    assert.deepEqual(r.cloudConfigs, []);
    assert.equal(r.diagnostics.length, 1);
    assert.match(formatDiagnostic(r.diagnostics[0]!), /^nocloud:\/dev\/vdb:\/user-data(#part1)+:1:1: user data nests more than 8 levels deep/);

    let zipped = Buffer.from("#cloud-config\n");
    for (let i = 0; i < 20; i++) zipped = gzipSync(zipped);
    const z = await decode(zipped);
    assert.deepEqual(z.cloudConfigs, []);
    assert.match(lines(z.diagnostics).join(), /user data nests more than 8 levels deep/);
  });

  test("the number of parts is bounded", async () => {
    const parts = Array.from({ length: 150 }, (_, i) => ({ type: "text/cloud-config", body: `#cloud-config\nn: ${i}\n` }));
    const r = await decode(mime(parts));
    assert.equal(r.cloudConfigs.length, 100);
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.file]), [["error", SRC]]);
    assert.match(r.diagnostics[0]!.message, /more than 100 parts in all; part 101 of this message and the ones after it were skipped/);
  });
});

describe("#cloud-config-archive", () => {
  test("items are parts of their type, or of their header; launch-index is warned about", async () => {
    const text = [
      "#cloud-config-archive",
      "- type: text/cloud-config",
      "  filename: base.yml",
      "  content: |",
      "    #cloud-config",
      "    hostname: from-archive",
      "- |",
      "  #!/bin/sh",
      "  echo from archive",
      "- type: text/x-shellscript",
      "  launch-index: 1",
      "  content: '#!/bin/sh\n    true'",
      "- type: text/cloud-boothook",
      "  content: '#cloud-boothook'",
      "- 42",
      "",
    ].join("\n");
    const r = await decode(text);
    assert.deepEqual(r.cloudConfigs, [{ source: `${SRC}#part1(base.yml)`, text: "#cloud-config\nhostname: from-archive\n" }]);
    assert.deepEqual(r.scripts, [
      { source: `${SRC}#part2`, text: "#!/bin/sh\necho from archive\n" },
      { source: `${SRC}#part3`, text: "#!/bin/sh true" },
    ]);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity} ${d.message}`),
      [
        `${SRC}:16:3 warning archive item is neither a string nor a map, skipped`,
        `${SRC}:10:3 warning launch-index is ignored on Corral, so this part applies to every host`,
        `${SRC}#part4:1:1 warning part type text/cloud-boothook is not supported on Corral, skipped`,
      ],
    );
  });

  test("an archive that is not a YAML list is an error at its line", async () => {
    const r = await decode("#cloud-config-archive\n- ok\nbad: [\n");
    assert.equal(r.diagnostics[0]!.severity, "error");
    assert.equal(r.diagnostics[0]!.file, SRC);
    assert.ok(r.diagnostics[0]!.line >= 2);
  });
});

describe("#include over real HTTP", () => {
  let server: Server;
  let base = "";
  const hits: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      const send = (status: number, body: string | Buffer) => res.writeHead(status).end(body);
      switch (req.url) {
        case "/good.yml":
          return send(200, "#cloud-config\nhostname: included\n");
        case "/script.gz":
          return send(200, gzipSync("#!/bin/sh\necho included\n"));
        case "/self":
          return send(200, `#include\n${base}/self\n`);
        case "/hang":
          return; // never answers
        case "/slow-body":
          res.writeHead(200, { "content-type": "text/plain" });
          return void res.write("#cloud-config\n"); // headers and a first chunk, then nothing
        default:
          return send(404, "not here");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("one good and one 404 URL: the good one applies, the 404 is an error at its line", async () => {
    const list = `#include\n# a comment line\n\n${base}/good.yml\n   ${base}/missing.yml\n${base}/script.gz\n`;
    const r = await decode(list, {});
    assert.deepEqual(r.cloudConfigs, [{ source: `${base}/good.yml`, text: "#cloud-config\nhostname: included\n" }]);
    assert.deepEqual(r.scripts, [{ source: `${base}/script.gz`, text: "#!/bin/sh\necho included\n" }]);
    assert.deepEqual(lines(r.diagnostics), [
      `${SRC}:5:4: could not fetch #include URL ${base}/missing.yml: the server answered HTTP 404 Not Found (check that the URL answers from this host; the rest of the user data still applies)`,
    ]);
  });

  test("#include-once, a URL on the header line, and an include list as a MIME part", async () => {
    const once = await decodeUserData(Buffer.from(`#include-once ${base}/good.yml\n`), SRC);
    assert.deepEqual(once.cloudConfigs.map((c) => c.source), [`${base}/good.yml`]);
    const part = await decodeUserData(Buffer.from(mime([{ type: "text/x-include-url", body: `${base}/good.yml\n` }])), SRC);
    assert.deepEqual(part.cloudConfigs.map((c) => c.source), [`${base}/good.yml`]);
    assert.deepEqual(part.diagnostics, []);
  });

  test("a hanging server costs at most the include budget, and the other URLs still apply", async () => {
    const started = Date.now();
    const r = await decode(`#include\n${base}/hang\n${base}/slow-body\n${base}/good.yml\n`, { includeBudgetMs: 300 });
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
    assert.deepEqual(r.cloudConfigs.map((c) => c.source), [`${base}/good.yml`]);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
      [
        `2:1 could not fetch #include URL ${base}/hang: the 300 ms all #include fetches share ran out`,
        `3:1 could not fetch #include URL ${base}/slow-body: the 300 ms all #include fetches share ran out`,
      ],
    );
  });

  test("a fetcher that ignores its AbortSignal is abandoned when the budget runs out", async () => {
    const started = Date.now();
    const r = await decode("#include\nhttps://example.invalid/never\n", { includeBudgetMs: 100, fetchInclude: () => new Promise<Buffer>(() => {}) });
    assert.ok(Date.now() - started < 1000);
    assert.match(lines(r.diagnostics).join(), /2:1: could not fetch #include URL https:\/\/example.invalid\/never: the 100 ms/);
  });

  test("an include of itself stops at the nesting and include bounds", async () => {
    const r = await decode(`#include\n${base}/self\n`, {});
    assert.deepEqual([r.cloudConfigs, r.scripts], [[], []]);
    assert.equal(r.diagnostics.length, 1);
    assert.match(formatDiagnostic(r.diagnostics[0]!), new RegExp(`^${base}/self:1:1: user data nests more than 8 levels deep`));
  });

  test("non-http URLs, non-URLs, responses over the byte budget and empty lists", async () => {
    const r = await decode(`#include\nfile:///etc/shadow\nnot a url\n${base}/good.yml\n`, {});
    assert.deepEqual(lines(r.diagnostics), [
      `${SRC}:3:1: "not a url" is not a URL (write one absolute URL a line, like https://example.com/cloud-config.yml; comment lines start with #)`,
      `${SRC}:2:1: could not fetch #include URL file:///etc/shadow: only http and https URLs are fetched, not file: (check that the URL answers from this host; the rest of the user data still applies)`,
    ]);
    assert.equal(r.cloudConfigs.length, 1);

    const big = await decode(`#include\n${base}/good.yml\n`, { maxBytes: 60 });
    assert.match(lines(big.diagnostics).join(), /could not fetch #include URL .*good.yml: the response is larger than the \d+ bytes of user data still allowed/);

    const custom = await decode("#include\nhttp://x/\n", { maxBytes: 40, fetchInclude: async () => Buffer.alloc(100) });
    assert.match(lines(custom.diagnostics).join(), /the response is larger than/);

    const none = await decode("#include\n# nothing\n");
    assert.match(lines(none.diagnostics).join(), /1:1: warning: #include lists no URL/);
  });
});

test("every cloud-init example decodes without throwing, into parts or diagnostics", async () => {
  // The shared reference corpus sits beside the repository (../shared/reference), read in place.
  const dir = fileURLToPath(new URL("../../../shared/reference/cloud-init/examples", import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith(".txt"));
  assert.ok(files.length > 30);
  for (const f of files) {
    const r = await decode(readFileSync(`${dir}/${f}`), offline, f);
    assert.ok(r.cloudConfigs.length + r.scripts.length + r.diagnostics.length > 0, f);
    if (f.startsWith("cloud-config") && !f.startsWith("cloud-config-archive")) {
      assert.deepEqual([r.cloudConfigs.length, r.diagnostics], [1, []], f);
    }
  }
});
