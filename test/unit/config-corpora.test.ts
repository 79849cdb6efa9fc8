// Compatibility against corpora no one here wrote, read in place from ../shared: RancherOS's own test
// cloud-configs validate; the project's examples validate (bad-typo.yml fails exactly where it
// should); every cloud-init example reads without a crash and without an "unknown key"; and every
// key of cloud-init's JSON schema is either supported or warned about, never unknown.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { checkInput } from "../../cloud-config/check.ts";
import { errorsIn, formatDiagnostic, type Diagnostic } from "../../cloud-config/diagnostics.ts";
import { IGNORED, cloudConfigSchema } from "../../cloud-config/schema/index.ts";
import { validateText, validateValue } from "../../cloud-config/validate.ts";

const SHARED = "/work/shared";
const RANCHEROS = join(SHARED, "reference/rancheros/cloud-configs");
const EXAMPLES = join(SHARED, "examples");
const CLOUD_INIT = join(SHARED, "reference/cloud-init");

const show = (ds: Diagnostic[]) => ds.map(formatDiagnostic).join("\n");
const unknownKeys = (ds: Diagnostic[]) => ds.filter((d) => /unknown key/.test(d.message));
const filesIn = (dir: string, ext?: RegExp) => readdirSync(dir).filter((f) => !ext || ext.test(f)).sort();

describe("RancherOS test cloud-configs", () => {
  const files = filesIn(RANCHEROS);
  test("the corpus is there", () => assert.ok(files.length >= 20, `only ${files.length} files in ${RANCHEROS}`));
  for (const f of files) {
    test(f, () => {
      const v = validateText(readFileSync(join(RANCHEROS, f)), f);
      assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
      assert.deepEqual(unknownKeys(v.diagnostics), [], show(v.diagnostics));
      assert.ok(v.config !== undefined, `${f} did not apply`);
    });
  }
});

describe("the project's examples", () => {
  const files = filesIn(EXAMPLES, /\.ya?ml$/);
  test("the examples are there", () => assert.ok(files.includes("bad-typo.yml") && files.length >= 2, files.join(", ")));
  for (const f of files.filter((f) => f !== "bad-typo.yml")) {
    test(`${f} validates`, () => {
      const v = validateText(readFileSync(join(EXAMPLES, f)), f);
      assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
      assert.ok(v.config !== undefined && Object.keys(v.config).length > 0, `${f} applied nothing`);
    });
  }

  test("bad-typo.yml: exactly the errors at lines 2, 3, 8 and 9, and the rest applies", () => {
    const file = join(EXAMPLES, "bad-typo.yml");
    const text = readFileSync(file, "utf8");
    const v = validateText(text, file);
    const errors = errorsIn(v.diagnostics);
    const lines = text.split("\n");
    // The column of each error is where the offending key or value starts on that line.
    const colOf = (line: number, what: string) => lines[line - 1]!.indexOf(what) + 1;
    const want: [number, number, string[]][] = [
      [2, colOf(2, "hostnme"), ["unknown key `hostnme`"]],
      [3, colOf(3, "ssh-rsa"), ["`ssh_authorized_keys` must be a list of public keys", '"ssh-rsa AAAA-not-a-list"']],
      [8, colOf(8, '"sometimes"'), ["`rancher.network.interfaces.eth0.dhcp` must be true or false", '"sometimes"']],
      [9, colOf(9, "-5"), ["`rancher.network.interfaces.eth0.mtu` must be an MTU from 68 to 65535, not -5"]],
    ];
    assert.deepEqual(errors.map((e) => [e.line, e.col]), want.map(([l, c]) => [l, c]), show(errors));
    // Pinned too, so a change in how columns count shows up here.
    assert.deepEqual(errors.map((e) => `${e.line}:${e.col}`), ["2:1", "3:22", "8:15", "9:14"]);
    errors.forEach((e, i) => {
      for (const frag of want[i]![2]) assert.ok(e.message.includes(frag), `"${frag}" not in ${formatDiagnostic(e)}`);
      assert.ok(formatDiagnostic(e).startsWith(`${file}:${e.line}:${e.col}: `));
    });
    assert.match(errors[0]!.hint ?? "", /did you mean `hostname`\?/);
    assert.match(errors[2]!.hint ?? "", /without quotes/);
    // Nothing else went wrong, and what was valid still applies.
    assert.equal(v.diagnostics.length, 4, show(v.diagnostics));
    // eth0 held only the bad mtu: it goes entirely, as if unwritten.
    assert.deepEqual(v.config, {});
  });
});

describe("cloud-init's examples through checkInput", () => {
  // #include examples name real URLs: this test never goes to the network.
  const realFetch = globalThis.fetch;
  const fetched: string[] = [];
  before(() => {
    globalThis.fetch = (async (input: string | URL | Request) => {
      fetched.push(String(input instanceof Request ? input.url : input));
      throw new Error("offline test");
    }) as typeof fetch;
  });
  after(() => {
    globalThis.fetch = realFetch;
  });

  const dir = join(CLOUD_INIT, "examples");
  const files = filesIn(dir);
  test("the corpus is there", () => assert.ok(files.length >= 40, `only ${files.length} examples`));
  for (const f of files) {
    test(f, async () => {
      const data = readFileSync(join(dir, f));
      const started = Date.now();
      const ds = await checkInput(data, f);
      assert.ok(Date.now() - started < 5000, `${f} took ${Date.now() - started} ms`);
      for (const d of ds) {
        assert.ok(d.line >= 1 && d.col >= 1 && d.message.length > 0, formatDiagnostic(d));
        assert.ok(d.file.startsWith(f) || /^https?:/.test(d.file), `diagnostic names another source: ${formatDiagnostic(d)}`);
      }
      // Keys cloud-init knows are supported or warned, never unknown.
      assert.deepEqual(unknownKeys(ds), [], show(ds));
      if (f.startsWith("network-config-")) {
        // cloud-init's own network config: a warning at `network:` pointing to rancher.network, no
        // error (the bridge example repeats a key: a warning too).
        assert.deepEqual(errorsIn(ds), [], show(ds));
        assert.deepEqual([ds[0]!.line, ds[0]!.col, ds[0]!.message], [1, 1, "`network` is ignored on Corral"], show(ds));
        assert.match(ds[0]!.hint ?? "", /rancher\.network/);
      }
    });
  }

  test("the #include examples were tried offline and reported, not fetched", () => {
    assert.ok(fetched.length > 0, "no #include was attempted");
  });

  test("the supported examples apply their keys", async () => {
    const v = validateText(readFileSync(join(dir, "cloud-config-write-files.txt")), "w");
    assert.deepEqual(errorsIn(v.diagnostics), [], show(v.diagnostics));
    assert.ok((v.config?.write_files ?? []).length >= 3, JSON.stringify(v.config));
    const u = validateText(readFileSync(join(dir, "cloud-config-user-groups.txt")), "u");
    assert.deepEqual(errorsIn(u.diagnostics), [], show(u.diagnostics));
    assert.ok((u.config?.users ?? []).length >= 3, JSON.stringify(u.config));
  });
});

describe("cloud-init's JSON schema: every top-level key is supported or warned, never unknown", () => {
  const schema = JSON.parse(readFileSync(join(CLOUD_INIT, "schema-cloud-config-v1.json"), "utf8")) as {
    properties: Record<string, unknown>;
    allOf: { $ref: string }[];
    $defs: Record<string, { properties?: Record<string, unknown> }>;
  };
  const keys = new Set(Object.keys(schema.properties));
  for (const { $ref } of schema.allOf) {
    const def = schema.$defs[$ref.replace("#/$defs/", "")];
    assert.ok(def, `${$ref} is not in $defs`);
    for (const k of Object.keys(def.properties ?? {})) keys.add(k);
  }
  const supported = new Set(Object.keys(cloudConfigSchema.shape));
  const ignored = IGNORED.find((t) => t.at === "")!.keys;

  test("the schema yields its keys", () => assert.ok(keys.size >= 90, `only ${keys.size} keys`));

  test("each key is in exactly one of: the schema, the ignored table", () => {
    const neither = [...keys].filter((k) => !supported.has(k) && !(k in ignored));
    const both = [...keys].filter((k) => supported.has(k) && k in ignored);
    assert.deepEqual(neither, [], `cloud-init keys Corral neither supports nor warns about: ${neither.join(", ")}`);
    assert.deepEqual(both, []);
  });

  // Each key alone, with plausible values: an ignored key is one warning at it; a supported key takes
  // at least one of them cleanly; no value ever makes it "unknown".
  const PLAUSIBLE: unknown[] = ["example", true, 1, [], ["example"], {}, { mode: "reboot" }];
  const locate = () => ({ line: 1, col: 1 });
  for (const key of [...keys].sort()) {
    test(key, () => {
      const outcomes = PLAUSIBLE.map((value) => validateValue({ [key]: value }, "s", locate).diagnostics);
      // (A plausible value may hold keys the key's own map does not take; the key itself is never unknown.)
      for (const ds of outcomes) assert.deepEqual(ds.filter((d) => d.message === `unknown key \`${key}\``), [], show(ds));
      if (key in ignored) {
        for (const ds of outcomes) {
          assert.equal(ds.length, 1, show(ds));
          assert.equal(ds[0]!.severity, "warning");
          assert.equal(ds[0]!.message, `\`${key}\` is ignored on Corral`);
          assert.ok((ds[0]!.hint ?? "").length > 0);
        }
      } else {
        assert.ok(outcomes.some((ds) => ds.length === 0), `no plausible value is accepted for ${key}:\n${outcomes.map(show).join("\n")}`);
      }
    });
  }
});
