// Seeding the persistent system Docker store from the initrd's: what is there is kept, what is new
// is added (layer folders whole, links as links), the tag lists are merged, once per version, and
// the initrd's copy is emptied.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { mergeRepositories, seedStore } from "../../os/init/system-docker-store.ts";

const repos = (tags: Record<string, Record<string, string>>) => JSON.stringify({ Repositories: tags });

/** A store shaped like Docker's overlay2 one: per layer a record (chain ID → cache ID), a folder and a short link. */
function store(root: string, layers: [chain: string, cacheId: string][], tags: Record<string, Record<string, string>>): void {
  mkdirSync(join(root, "image/overlay2/imagedb/content/sha256"), { recursive: true });
  mkdirSync(join(root, "overlay2/l"), { recursive: true });
  for (const [chain, id] of layers) {
    mkdirSync(join(root, "image/overlay2/layerdb/sha256", chain), { recursive: true });
    writeFileSync(join(root, "image/overlay2/layerdb/sha256", chain, "cache-id"), id);
    mkdirSync(join(root, "overlay2", id, "diff/etc"), { recursive: true });
    writeFileSync(join(root, "overlay2", id, "diff/etc", chain), `${chain} in ${id}`);
    writeFileSync(join(root, "overlay2", id, "link"), id.toUpperCase());
    // The layers under it, top first, by their short links.
    const under = layers.slice(0, layers.findIndex(([c]) => c === chain)).reverse();
    if (under.length) writeFileSync(join(root, "overlay2", id, "lower"), under.map(([, u]) => `l/${u.toUpperCase()}`).join(":"));
    symlinkSync(`../${id}/diff`, join(root, "overlay2/l", id.toUpperCase()));
    writeFileSync(join(root, "image/overlay2/imagedb/content/sha256", `img-${chain}`), `{"layer":"${chain}"}`);
  }
  writeFileSync(join(root, "image/overlay2/repositories.json"), repos(tags));
}

test("mergeRepositories: both sides' repositories and tags; the incoming one wins a tag", () => {
  const kept = { Repositories: { "corral/os-base": { "corral/os-base:1": "sha256:a" }, "local/x": { "local/x:1": "sha256:x" } } };
  const incoming = { Repositories: { "corral/os-base": { "corral/os-base:2": "sha256:b", "corral/os-base:1": "sha256:c" } } };
  assert.deepEqual(mergeRepositories(kept, incoming), {
    Repositories: { "corral/os-base": { "corral/os-base:1": "sha256:c", "corral/os-base:2": "sha256:b" }, "local/x": { "local/x:1": "sha256:x" } },
  });
  assert.deepEqual(mergeRepositories({}, incoming), incoming);
});

test("seedStore: a first boot copies all; a new version adds only its new layers (not its copy of known ones) and keeps the containers; the same version again copies nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-store-"));
  const ram = join(dir, "ram");
  const disk = join(dir, "disk");
  store(ram, [["base", "c1"], ["console", "c2"]], { "corral/os-base": { "corral/os-base:1": "sha256:base" } });
  // 2 layers, and the imagedb folder whole; repositories.json is merged apart.
  assert.equal(await seedStore(ram, disk, "1"), 3);
  assert.deepEqual(readdirSync(ram), [], "the initrd's copy is emptied");
  assert.equal(readFileSync(join(disk, "overlay2/c2/diff/etc/console"), "utf8"), "console in c2");
  assert.equal(readlinkSync(join(disk, "overlay2/l/C1")), "../c1/diff");

  // What the running daemon added meanwhile: a container.
  mkdirSync(join(disk, "containers/x"), { recursive: true });
  // The next version's initrd: the base layer again (another daemon gave it another cache ID), and a new one.
  store(ram, [["base", "c9"], ["next", "c3"]], { "corral/os-base": { "corral/os-base:2": "sha256:next" } });
  // The next layer's record, folder and link, and its image config.
  assert.equal(await seedStore(ram, disk, "2"), 2);
  assert.equal(readFileSync(join(disk, "image/overlay2/layerdb/sha256/base/cache-id"), "utf8"), "c1", "a known layer keeps its folder");
  assert.ok(!existsSync(join(disk, "overlay2/c9")), "and the initrd's copy of it is not added");
  assert.equal(readFileSync(join(disk, "overlay2/c3/diff/etc/next"), "utf8"), "next in c3");
  assert.equal(readlinkSync(join(disk, "overlay2/l/C3")), "../c3/diff");
  assert.equal(readFileSync(join(disk, "overlay2/c3/lower"), "utf8"), "l/C1", "the new layer sits on the store's own copy of base");
  assert.ok(existsSync(join(disk, "containers/x")));
  assert.ok(!readdirSync(join(disk, "overlay2")).some((n) => n.endsWith(".part")));
  assert.deepEqual(JSON.parse(readFileSync(join(disk, "image/overlay2/repositories.json"), "utf8")), {
    Repositories: { "corral/os-base": { "corral/os-base:1": "sha256:base", "corral/os-base:2": "sha256:next" } },
  });

  store(ram, [["other", "c4"]], {});
  assert.equal(await seedStore(ram, disk, "2"), 0, "version 2 was merged already");
  assert.ok(!existsSync(join(disk, "overlay2/c4")));
  assert.deepEqual(readdirSync(ram), []);
});
