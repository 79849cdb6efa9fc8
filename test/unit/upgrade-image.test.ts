// The upgrade image, written by the build and read by ros os upgrade: its layout (release.json and
// its signature first, SHA256SUMS that sha256sum accepts, the files byte for byte), and how the
// reader refuses what it must not install (damaged, cut short, unsigned, wrongly signed, from a
// server that drops the connection) without leaving a file behind.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { writeUpgradeImage } from "../../build/upgrade-image.ts";
import { ImageRejected, receiveImage } from "../../os/upgrade/receive.ts";
import { parsePublicKey } from "../../os/upgrade/release.ts";
import { openImage, SourceError } from "../../os/upgrade/source.ts";

const dir = mkdtempSync(join(tmpdir(), "corral-upgrade-"));
const files = { vmlinuz: join(dir, "k"), initrd: join(dir, "i") };
writeFileSync(files.vmlinuz, "kernel bytes");
writeFileSync(files.initrd, Buffer.alloc(3_000_000, 7));
const signer = generateKeyPairSync("ed25519");
const stranger = generateKeyPairSync("ed25519");
const publicPem = signer.publicKey.export({ type: "spki", format: "pem" }).toString();

let n = 0;
const fresh = () => {
  const d = join(dir, `slot${n++}`);
  mkdirSync(d);
  return d;
};

async function rejected(p: Promise<unknown>, re: RegExp, slot: string): Promise<void> {
  await assert.rejects(p, (e: Error) => (assert.match(e.message, re), true));
  assert.deepEqual(readdirSync(slot), [], "a refused image leaves nothing in the slot");
}

describe("upgrade image", () => {
  const plain = join(dir, "plain.tar");
  const signed = join(dir, "signed.tar");

  test("the build's tar: release.json first, checksums sha256sum accepts, the files unchanged; signed, the signature second", async () => {
    const release = await writeUpgradeImage(files, "9.9.9", plain);
    assert.equal(release.version, "9.9.9");
    assert.deepEqual(execFileSync("tar", ["-tf", plain], { encoding: "utf8" }).trim().split("\n"), ["release.json", "SHA256SUMS", "vmlinuz", "initrd"]);
    const unpacked = fresh();
    execFileSync("tar", ["-xf", plain, "-C", unpacked]);
    assert.deepEqual(JSON.parse(readFileSync(join(unpacked, "release.json"), "utf8")), release);
    assert.match(execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: unpacked, encoding: "utf8" }), /^vmlinuz: OK\ninitrd: OK\n$/);
    assert.deepEqual(readFileSync(join(unpacked, "initrd")), readFileSync(files.initrd));
    await writeUpgradeImage(files, "9.9.9", signed, signer.privateKey);
    assert.deepEqual(execFileSync("tar", ["-tf", signed], { encoding: "utf8" }).trim().split("\n"), ["release.json", "release.json.sig", "SHA256SUMS", "vmlinuz", "initrd"]);
  });

  test("received whole: the kernel and initrd land byte for byte, nothing else, and every byte is counted", async () => {
    const slot = fresh();
    let bytes = 0;
    const r = await receiveImage(createReadStream(plain), slot, { onBytes: (k) => (bytes += k) });
    assert.equal(r.version, "9.9.9");
    assert.deepEqual(readdirSync(slot).sort(), ["initrd", "vmlinuz"]);
    assert.deepEqual(readFileSync(join(slot, "initrd")), readFileSync(files.initrd));
    assert.equal(bytes, statSync(plain).size);
  });

  test("with a public key: the signed image passes (PEM or one-line base64); unsigned and wrongly signed ones are refused before a byte is written", async () => {
    await receiveImage(createReadStream(signed), fresh(), { publicKey: parsePublicKey(publicPem) });
    const oneLine = publicPem.replace(/-----[^-]+-----|\s/g, "");
    await receiveImage(createReadStream(signed), fresh(), { publicKey: parsePublicKey(oneLine) });
    let slot = fresh();
    await rejected(receiveImage(createReadStream(plain), slot, { publicKey: signer.publicKey }), /not signed .*requires a signature/, slot);
    slot = fresh();
    await rejected(receiveImage(createReadStream(signed), slot, { publicKey: stranger.publicKey }), /does not verify with rancher\.upgrade\.public_key/, slot);
    assert.throws(() => parsePublicKey(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString()), /the key is rsa, and upgrade images are signed with ed25519/);
    // Without a key, a signed image is taken as it is.
    await receiveImage(createReadStream(signed), fresh());
  });

  test("accept sees the manifest first and can refuse (the version running already)", async () => {
    const slot = fresh();
    await rejected(receiveImage(createReadStream(plain), slot, { accept: (r) => { throw new ImageRejected(`${r.version} is running`); } }), /9\.9\.9 is running/, slot);
  });

  test("a damaged initrd, a tar cut short, and something that is no image are refused with what is wrong", async () => {
    const tar = readFileSync(plain);
    const damaged = Buffer.from(tar);
    damaged[tar.length - 100_000] ^= 1;
    writeFileSync(join(dir, "damaged.tar"), damaged);
    let slot = fresh();
    await rejected(receiveImage(createReadStream(join(dir, "damaged.tar")), slot), /^initrd: sha256 [0-9a-f]{64}, but release\.json says [0-9a-f]{64}: the image is damaged$/, slot);
    writeFileSync(join(dir, "short.tar"), tar.subarray(0, tar.length / 2));
    slot = fresh();
    await rejected(receiveImage(createReadStream(join(dir, "short.tar")), slot), /end of data|cut short/i, slot);
    writeFileSync(join(dir, "other.tar"), execFileSync("tar", ["-cf", "-", "-C", dir, "k"]));
    slot = fresh();
    await rejected(receiveImage(createReadStream(join(dir, "other.tar")), slot), /not a Corral upgrade image: it starts with "k"/, slot);
    writeFileSync(join(dir, "manifest.tar"), execFileSync("tar", ["-cf", "-", "-C", fresh(), "."], { input: "" }));
    slot = fresh();
    await rejected(receiveImage(createReadStream(join(dir, "manifest.tar")), slot), /not a Corral upgrade image|empty/, slot);
  });

  test("over HTTP: a whole download is received; a 404 and a connection dropped halfway are errors, and the slot stays empty", async () => {
    const size = statSync(plain).size;
    const server = createServer((req, res) => {
      if (req.url === "/missing.tar") return res.writeHead(404).end();
      res.writeHead(200, { "content-length": String(size) });
      const body = createReadStream(plain, req.url === "/dropped.tar" ? { end: size / 2 } : {});
      body.pipe(res, { end: req.url !== "/dropped.tar" });
      if (req.url === "/dropped.tar") body.on("end", () => res.socket?.destroy());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const src = await openImage(`${base}/corral-upgrade.tar`);
    assert.equal(src.bytes, size);
    const r = await receiveImage(src.stream, fresh());
    assert.equal(r.version, "9.9.9");
    await assert.rejects(openImage(`${base}/missing.tar`), (e: Error) => e instanceof SourceError && /missing\.tar: HTTP 404/.test(e.message));
    const slot = fresh();
    await rejected(openImage(`${base}/dropped.tar`).then((s) => receiveImage(s.stream, slot)), /terminated|closed|aborted|end of data|cut short/i, slot);
    await assert.rejects(openImage("ftp://example.invalid/x.tar"), /only a file, http:\/\/ or https:\/\//);
    await assert.rejects(openImage(join(dir, "nope.tar")), /no such file \(the upgrade image\)/);
  });
});
