// Datasources on the host's own files (file:, configdrive:/dir, nocloud trees, ds=nocloud;s=file://),
// read under a temporary ROS_ROOT, and the spec and kernel command line parsing, bad input included.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";

// paths.ts reads ROS_ROOT when first imported: set it, then import.
const root = mkdtempSync(join(tmpdir(), "corral-ds-root-"));
process.env.ROS_ROOT = root;
const { datasourcesFor, readConfigDriveTree, readNocloudTree } = await import("../../cloud-config/datasources/index.ts");

function put(rel: string, content: string): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

const never = () => new AbortController().signal;
const USER_DATA = "#cloud-config\nhostname: from-user-data\n";

describe("file:", () => {
  test("reads the file under ROS_ROOT; a missing file is absent", async () => {
    put("/var/lib/rancher/conf/user_config.yml", USER_DATA);
    const { sources, errors } = datasourcesFor(["file:/var/lib/rancher/conf/user_config.yml", "file:/nope.yml"], "");
    assert.deepEqual(errors, []);
    const found = await sources[0]!.fetch(never());
    assert.deepEqual(found, { source: "file:/var/lib/rancher/conf/user_config.yml", userData: Buffer.from(USER_DATA), metadata: {} });
    assert.equal(await sources[1]!.fetch(never()), undefined);
  });

  test("a directory where the file should be fails, saying so", async () => {
    mkdirSync(join(root, "a-dir"), { recursive: true });
    await assert.rejects(datasourcesFor(["file:/a-dir"], "").sources[0]!.fetch(never()), /is a directory/);
  });
});

describe("configdrive", () => {
  test("configdrive:/dir reads openstack/latest/user_data and meta_data.json", async () => {
    put("/media/config-2/openstack/latest/user_data", USER_DATA);
    put("/media/config-2/openstack/latest/meta_data.json", JSON.stringify({ uuid: "cd-uuid", hostname: "cd-host", name: "cd", availability_zone: "az1", public_keys: { k1: "ssh-ed25519 AAAAk1 k1" } }));
    const { sources, errors } = datasourcesFor(["configdrive:/media/config-2"], "");
    assert.deepEqual(errors, []);
    assert.equal(sources[0]!.name, "configdrive:/media/config-2");
    const found = await sources[0]!.fetch(never());
    assert.equal(found?.source, "configdrive:/media/config-2/openstack/latest/user_data");
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata, { instanceId: "cd-uuid", hostname: "cd-host", zone: "az1", publicKeys: ["ssh-ed25519 AAAAk1 k1"] });
  });

  test("a missing directory, or one that is not a config drive, is absent", async () => {
    mkdirSync(join(root, "empty"), { recursive: true });
    const { sources } = datasourcesFor(["configdrive:/no/such/dir", "configdrive:/empty"], "");
    assert.equal(await sources[0]!.fetch(never()), undefined);
    assert.equal(await sources[1]!.fetch(never()), undefined);
  });

  test("the tree reader names the disk in the source, and a bad meta_data.json costs only the metadata", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-cd-"));
    mkdirSync(join(dir, "openstack/latest"), { recursive: true });
    writeFileSync(join(dir, "openstack/latest/user_data"), USER_DATA);
    writeFileSync(join(dir, "openstack/latest/meta_data.json"), "{broken");
    const found = readConfigDriveTree(dir, "/dev/sr0:");
    assert.equal(found?.source, "configdrive:/dev/sr0:/openstack/latest/user_data");
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata, {});
  });
});

describe("nocloud", () => {
  const META = "instance-id: iid-local01\nlocal-hostname: cloudimg\npublic-keys:\n  - ssh-ed25519 AAAAone one\n  - ssh-rsa AAAAtwo two\n";

  test("a tree: user-data, meta-data (YAML), vendor-data, network-config", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-nc-"));
    writeFileSync(join(dir, "user-data"), USER_DATA);
    writeFileSync(join(dir, "meta-data"), META);
    writeFileSync(join(dir, "vendor-data"), "#cloud-config\n{}\n");
    writeFileSync(join(dir, "network-config"), "version: 2\nethernets: {}\n");
    const found = readNocloudTree(dir, "/dev/vdb:");
    assert.deepEqual(found, {
      source: "nocloud:/dev/vdb:/user-data",
      userData: Buffer.from(USER_DATA),
      metadata: { instanceId: "iid-local01", hostname: "cloudimg", publicKeys: ["ssh-ed25519 AAAAone one", "ssh-rsa AAAAtwo two"] },
      vendorData: Buffer.from("#cloud-config\n{}\n"),
      networkConfig: Buffer.from("version: 2\nethernets: {}\n"),
    });
  });

  test("public-keys as one string; user data that is not UTF-8 stays raw bytes; no files is absent", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-nc-"));
    assert.equal(readNocloudTree(dir), undefined);
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]);
    writeFileSync(join(dir, "user-data"), gz);
    writeFileSync(join(dir, "meta-data"), "instance-id: 42\npublic-keys: ssh-ed25519 AAAAsolo solo\n");
    const found = readNocloudTree(dir);
    assert.ok(found?.userData?.equals(gz));
    assert.deepEqual(found?.metadata, { instanceId: "42", publicKeys: ["ssh-ed25519 AAAAsolo solo"] });
  });

  test("broken meta-data YAML costs only the metadata", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-nc-"));
    writeFileSync(join(dir, "user-data"), USER_DATA);
    writeFileSync(join(dir, "meta-data"), "instance-id: [unclosed\n");
    const found = readNocloudTree(dir);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata, {});
  });

  test("nocloud:/dir and ds=nocloud;s=file:///dir/ (or s=/dir/) read a tree under ROS_ROOT", async () => {
    put("/seed/user-data", USER_DATA);
    put("/seed/meta-data", META);
    const spec = datasourcesFor(["nocloud:/seed"], "").sources[0]!;
    assert.equal((await spec.fetch(never()))?.source, "nocloud:/seed/user-data");

    const byUrl = datasourcesFor([], "ro ds=nocloud;s=file:///seed/;i=iid-cmdline quiet");
    assert.deepEqual(byUrl.errors, []);
    assert.deepEqual(byUrl.sources.map((s) => s.name), ["nocloud:file:///seed/"]);
    const found = await byUrl.sources[0]!.fetch(never());
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.equal(found?.metadata.instanceId, "iid-cmdline");
    assert.equal(found?.metadata.hostname, "cloudimg");

    const byPath = datasourcesFor([], "ds=nocloud;s=/seed/").sources[0]!;
    assert.equal((await byPath.fetch(never()))?.source, "nocloud:/seed/user-data");
  });
});

describe("specs", () => {
  test("every supported spec makes a source named after it", () => {
    const specs = ["nocloud", "configdrive", "configdrive:/media/config-2", "file:/x.yml", "url:https://example.com/ud", "cmdline", "ec2", "ec2:http://127.0.0.1:8080", "openstack", "gce", "digitalocean", "nocloud:http://10.0.0.1/seed/", " EC2 "];
    const { sources, errors } = datasourcesFor(specs, "");
    assert.deepEqual(errors, []);
    assert.deepEqual(sources.map((s) => s.name), [
      "nocloud", "configdrive", "configdrive:/media/config-2", "file:/x.yml", "url:https://example.com/ud", "cmdline",
      "ec2", "ec2:http://127.0.0.1:8080", "openstack", "gce", "digitalocean", "nocloud:http://10.0.0.1/seed/",
    ]);
  });

  test("the kernel command line adds sources; one named twice is polled once", () => {
    const { sources, errors } = datasourcesFor(["ec2", "nocloud", "ec2"], "ds=nocloud;h=host1 cloud-config-url=http://10.0.0.1/cc");
    assert.deepEqual(errors, []);
    assert.deepEqual(sources.map((s) => s.name), ["ec2", "nocloud", "cmdline"]);
    assert.deepEqual(datasourcesFor([], "ds=ec2").sources.map((s) => s.name), ["ec2"]);
  });

  test("bad specs are errors naming the spec and what is accepted; good ones still count", () => {
    const bad = ["azure", "file:relative/path", "file:", "url:ftp://example.com/x", "url:", "ec2:not a url", "cmdline:extra", "configdrive:media", "nocloud:ftp://x/", "", 42 as unknown as string];
    const { sources, errors } = datasourcesFor([...bad, "ec2"], "");
    assert.deepEqual(sources.map((s) => s.name), ["ec2"]);
    assert.equal(errors.length, bad.length);
    for (const e of errors) assert.match(e, /^rancher\.cloud_init\.datasources: /);
    assert.match(errors[0]!, /"azure": unknown datasource "azure"; accepted: nocloud, .*configdrive:\/dir, file:\/path, url:http\(s\):\/\/\.\.\., cmdline, ec2/);
    assert.match(errors[1]!, /"file:relative\/path": file: needs an absolute path/);
    assert.match(errors[3]!, /"url:ftp:\/\/example.com\/x": "ftp:\/\/example.com\/x" is not an http:\/\/ or https:\/\/ URL/);
    assert.match(errors[5]!, /"ec2:not a url": "not a url" is not a URL; write ec2 or ec2:http:\/\/host:port/);
    assert.match(errors[6]!, /cmdline takes no argument/);
    assert.match(errors[7]!, /configdrive: needs an absolute directory/);
    assert.match(errors[9]!, /"" is not a datasource/);
    assert.match(errors[10]!, /42 is not a datasource/);
  });

  test("bad kernel command line datasources are errors too", () => {
    const cases: [string, RegExp][] = [
      ["ds=azure", /ds=azure: unknown datasource; accepted: nocloud, nocloud-net, ec2/],
      ["ds=nocloud;x=1", /ds=nocloud;x=1: "x=1" is not one of s=<seed>/],
      ["ds=nocloud;s=ftp://host/", /the seed "ftp:\/\/host\/" must be http/],
      ["ds=ec2;s=http://x/", /only ds=nocloud takes ;key=value settings/],
      ["cloud-config-url=notaurl", /cloud-config-url=notaurl: "notaurl" is not a URL/],
    ];
    for (const [cmdline, re] of cases) {
      const { sources, errors } = datasourcesFor([], cmdline);
      assert.deepEqual(sources, [], cmdline);
      assert.equal(errors.length, 1, cmdline);
      assert.match(errors[0]!, /^kernel command line /);
      assert.match(errors[0]!, re);
    }
  });
});
