// The service catalog on a temporary ROS_ROOT: the shipped catalog as `core`, local-folder and HTTP
// repositories (a real server on 127.0.0.1), the cache standing in for a server that is gone, which
// repository wins a name, variables, validation errors at their line, entries named by URL or path,
// and services_include where one bad entry leaves the others alone.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { after, beforeEach, describe, test } from "node:test";
import { parse } from "yaml";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { osConfigText } from "../../build/os-config.ts";

// os/paths.ts reads ROS_ROOT when first imported: set it, then import everything that loads it.
const root = mkdtempSync(join(tmpdir(), "corral-catalog-"));
process.env.ROS_ROOT = root;
const { paths } = await import("../../os/paths.ts");
const { VERSION } = await import("../../os/version.ts");
const { catalogIndex, resolveEntry, includedServices, CatalogError } = await import("../../os/services/catalog/index.ts");
assert.ok(paths.defaultCatalog.startsWith(root), `os/paths.ts was loaded before ROS_ROOT was set: ${paths.defaultCatalog}`);

const { writeCoreCatalog } = await import("../../build/catalog.ts");
/** Repositories that are folders, outside ROS_ROOT like a user's own would be. */
const folders = mkdtempSync(join(tmpdir(), "corral-catalog-repos-"));

const servers: Server[] = [];
after(() => {
  for (const s of servers) stop(s);
  rmSync(root, { recursive: true, force: true });
  rmSync(folders, { recursive: true, force: true });
});
beforeEach(() => {
  // Each test starts with only the shipped catalog in place and an empty cache.
  for (const dir of [root, folders]) for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
  writeCoreCatalog(paths.defaultCatalog);
});

function put(file: string, content: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** A repository folder from a path → content table. */
function folderRepo(name: string, files: Record<string, string>): string {
  const dir = join(folders, name);
  for (const [rel, text] of Object.entries(files)) put(join(dir, rel), text);
  return dir;
}

function stop(s: Server): void {
  s.closeAllConnections();
  s.close();
}

/** Serves `files` under /repo/ (changes to the table, or `state.hang`, apply at once); anything else is a 404. */
async function serve(files: Record<string, string>, state: { hang: boolean } = { hang: false }): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (state.hang) return;
    const body = req.url?.startsWith("/repo/") ? files[req.url.slice("/repo/".length)] : undefined;
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "text/yaml" });
    res.end(body ?? "not found");
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo`, server, requests };
}

const withRepos = (repos: Record<string, string>, rancher: NonNullable<CloudConfig["rancher"]> = {}): CloudConfig => ({
  rancher: { ...rancher, repositories: Object.fromEntries(Object.entries(repos).map(([n, url]) => [n, { url }])) },
});

/** Collects warnings instead of logging them. */
function warnings(): { warn: (m: string) => void; seen: string[] } {
  const seen: string[] = [];
  return { warn: (m) => seen.push(m), seen };
}

async function rejects(p: Promise<unknown>, check: (e: InstanceType<typeof CatalogError>) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CatalogError, `expected a CatalogError, got ${String(e)}`);
    check(e);
    return true;
  });
}

const svc = (name: string, image: string, extra = "") => `${name}:\n  image: ${image}\n${extra}`;
const index = (kinds: { services?: string[]; consoles?: string[]; engines?: string[] }) =>
  Object.entries(kinds).map(([k, names]) => `${k}:\n${names.map((n) => `  - ${n}\n`).join("")}`).join("");

describe("the shipped catalog (build/catalog.ts)", () => {
  test("is the core repository and lists what the image can run", async () => {
    const w = warnings();
    const idx = await catalogIndex({}, w);
    assert.deepEqual(idx, {
      services: [{ name: "container-cron", repo: "core" }],
      consoles: [{ name: "default", repo: "core" }],
      engines: [{ name: "docker-20.10", repo: "core" }],
    });
    assert.deepEqual(w.seen, []);
  });

  test("every entry resolves, validates and defines its main service; no file is left unlisted", async () => {
    const w = warnings();
    const idx = await catalogIndex({}, w);
    const used = new Set(["index.yml"]);
    const main = { services: (n: string) => n, consoles: () => "console", engines: () => "docker" };
    for (const kind of ["services", "consoles", "engines"] as const) {
      for (const { name } of idx[kind]) {
        const e = await resolveEntry({}, name, kind, w);
        used.add(relative(paths.defaultCatalog, e.source));
        const def = e.services[main[kind](name)];
        assert.ok(def, `${name} defines no ${main[kind](name)} service`);
        assert.match(def.image, new RegExp(`^corral/os-[a-z]+:${VERSION.replace(/\./g, "\\.")}$`));
        assert.equal((def.labels as Record<string, string>)["io.rancher.os.scope"], "system");
      }
    }
    const shipped = paths.defaultCatalog;
    const files = readdirSync(shipped, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => relative(shipped, join(d.parentPath, d.name)));
    assert.deepEqual(files.filter((f) => !used.has(f)), [], "files in the core catalog that no index entry names");
    assert.deepEqual(w.seen, []);
  });

  test("the default console is the image's own console service, its variables expanded alike", async () => {
    const e = await resolveEntry({}, "default", "consoles");
    const own = (parse(osConfigText(VERSION)) as { rancher: { services: Record<string, unknown> } }).rancher.services.console;
    assert.deepEqual(e.services, { console: own });
  });

  test("container-cron and the engine are as specified", async () => {
    const cron = (await resolveEntry({}, "container-cron")).services["container-cron"]!;
    assert.deepEqual(cron.command, ["/usr/bin/ros", "container-cron"]);
    assert.equal(cron.restart, "always");
    assert.deepEqual(cron.labels, { "io.rancher.os.scope": "system", "io.rancher.os.after": "docker" });
    const docker = (await resolveEntry({}, "docker-20.10", "engines")).services.docker!;
    assert.equal(docker.image, `corral/os-docker:${VERSION}`);
    assert.deepEqual([docker.privileged, docker.net, docker.pid, docker.ipc, docker.uts], [true, "host", "host", "host", "host"]);
    assert.ok(docker.volumes?.includes("/sys/fs/cgroup:/sys/fs/cgroup"));
  });
});

describe("local-folder repositories", () => {
  test("by absolute path and by file:// URL, after core, with their names", async () => {
    const a = folderRepo("a", { "index.yml": index({ services: ["alpha"], consoles: ["alpine"] }), "a/alpha.yml": svc("alpha", "example/alpha:1") });
    const b = folderRepo("b", { "index.yml": index({ services: ["beta"] }), "b/beta.yml": svc("beta", "example/beta:1") });
    const config = withRepos({ a, b: pathToFileURL(b).href });
    const idx = await catalogIndex(config);
    assert.deepEqual(idx.services, [{ name: "container-cron", repo: "core" }, { name: "alpha", repo: "a" }, { name: "beta", repo: "b" }]);
    assert.deepEqual(idx.consoles, [{ name: "default", repo: "core" }, { name: "alpine", repo: "a" }]);
    const beta = await resolveEntry(config, "beta");
    assert.deepEqual(beta, { name: "beta", source: join(b, "b/beta.yml"), services: { beta: { image: "example/beta:1" } } });
  });

  test("a file the index names but the folder lacks is an error naming the file", async () => {
    const a = folderRepo("a", { "index.yml": index({ services: ["ghost"] }) });
    await rejects(resolveEntry(withRepos({ a }), "ghost"), (e) => assert.equal(e.message, `${join(a, "g/ghost.yml")} does not exist`));
  });

  test("a repository that cannot be read is skipped with a warning; the others still answer", async () => {
    const bad = folderRepo("bad", { "index.yml": "services: container-cron\n" });
    const good = folderRepo("good", { "index.yml": index({ services: ["gamma"] }), "g/gamma.yml": svc("gamma", "example/gamma:1") });
    const w = warnings();
    const idx = await catalogIndex(withRepos({ bad, missing: join(folders, "nowhere"), good }), w);
    assert.deepEqual(idx.services.map((e) => e.name), ["container-cron", "gamma"]);
    assert.equal(w.seen.length, 2, w.seen.join("\n"));
    assert.match(w.seen[0]!, new RegExp(`repository bad is skipped: the index ${join(bad, "index.yml")} is not valid:\n  ${join(bad, "index.yml")}:1:11: \`services\` must be a list of names`));
    assert.match(w.seen[1]!, /repository missing is skipped: .*nowhere\/index\.yml does not exist/);
    // A name the unreadable repository might have listed says so.
    await rejects(resolveEntry(withRepos({ bad }), "delta"), (e) => assert.equal(e.message, 'no service "delta" in the catalogs (core, bad) (could not read bad, which may list it)'));
  });

  test("a configured `core`, an unsafe name and a relative url are not used, with a warning each", async () => {
    const other = folderRepo("other", { "index.yml": index({ services: ["container-cron"] }), "c/container-cron.yml": svc("container-cron", "evil/cron") });
    const w = warnings();
    const idx = await catalogIndex(withRepos({ core: other, "../up": other, rel: "some/folder" }), w);
    assert.deepEqual(idx.services, [{ name: "container-cron", repo: "core" }]);
    assert.equal(w.seen.length, 3, w.seen.join("\n"));
    assert.match(w.seen.join("\n"), /rancher\.repositories\.core is not used/);
    assert.match(w.seen.join("\n"), /rancher\.repositories\.\.\.\/up is not used/);
    assert.match(w.seen.join("\n"), /rancher\.repositories\.rel\.url "some\/folder" is not used/);
  });
});

describe("which repository provides a name", () => {
  test("the first repository that lists it, core first; repo/name picks one", async () => {
    const one = folderRepo("one", { "index.yml": index({ services: ["container-cron", "shared"] }), "c/container-cron.yml": svc("container-cron", "one/cron:1"), "s/shared.yml": svc("shared", "one/shared:1") });
    const two = folderRepo("two", { "index.yml": index({ services: ["shared"] }), "s/shared.yml": svc("shared", "two/shared:1") });
    const config = withRepos({ one, two });
    const idx = await catalogIndex(config);
    assert.deepEqual(idx.services, [{ name: "container-cron", repo: "core" }, { name: "shared", repo: "one" }]);
    assert.equal((await resolveEntry(config, "container-cron")).services["container-cron"]!.image, `corral/os-base:${VERSION}`);
    assert.equal((await resolveEntry(config, "one/container-cron")).services["container-cron"]!.image, "one/cron:1");
    assert.equal((await resolveEntry(config, "core/container-cron")).services["container-cron"]!.image, `corral/os-base:${VERSION}`);
    assert.equal((await resolveEntry(config, "shared")).services.shared!.image, "one/shared:1");
    assert.equal((await resolveEntry(config, "two/shared")).services.shared!.image, "two/shared:1");
    // Config order decides between configured repositories.
    assert.equal((await resolveEntry(withRepos({ two, one }), "shared")).services.shared!.image, "two/shared:1");
  });

  test("unknown names and repositories say what there is", async () => {
    const extra = folderRepo("extra", { "index.yml": index({ services: ["other"] }) });
    const config = withRepos({ extra });
    await rejects(resolveEntry(config, "contaner-cron"), (e) => assert.equal(e.message, 'no service "contaner-cron" in the catalogs (core, extra); did you mean "container-cron"?'));
    await rejects(resolveEntry(config, "extra/container-cron"), (e) => assert.equal(e.message, 'no service "container-cron" in repository extra'));
    await rejects(resolveEntry(config, "extr/other"), (e) => assert.equal(e.message, 'no repository "extr" (the repositories are core, extra); did you mean "extra"?'));
    await rejects(resolveEntry(config, "default"), (e) => assert.equal(e.message, 'no service "default" in the catalogs (core, extra) ("default" is a console)'));
    await rejects(resolveEntry(config, "docker-20.10", "consoles"), (e) => assert.match(e.message, /^no console "docker-20.10" .*\("docker-20.10" is an engine\)$/));
    await rejects(resolveEntry(config, "a/b/c"), (e) => assert.match(e.message, /neither a catalog name/));
  });

  test("an entry must define its main service: its own name, `console` for a console, `docker` for an engine", async () => {
    const r = folderRepo("r", {
      "index.yml": index({ services: ["misnamed"], consoles: ["fancy"], engines: ["moby"] }),
      "m/misnamed.yml": svc("other-name", "x/y"),
      "f/fancy.yml": svc("fancy", "x/console"),
      "m/moby.yml": svc("docker", "x/docker") + svc("docker-volumes", "x/volumes"),
    });
    const config = withRepos({ r });
    await rejects(resolveEntry(config, "misnamed"), (e) => assert.match(e.message, /no service named `misnamed` in the file \(a catalog entry's main service carries the entry's name, "misnamed"\)/));
    await rejects(resolveEntry(config, "fancy", "consoles"), (e) => {
      assert.equal(e.diagnostics.length, 1);
      assert.equal(e.diagnostics[0], `${join(r, "f/fancy.yml")}:1:1: no service named \`console\` in the file (a console replaces the \`console\` service, so its file must define it)`);
    });
    const moby = await resolveEntry(config, "moby", "engines");
    assert.deepEqual(Object.keys(moby.services), ["docker", "docker-volumes"]);
  });
});

describe("HTTP repositories and the cache", () => {
  const FILES = {
    "index.yml": index({ services: ["web-svc"], engines: ["web-engine"] }),
    "w/web-svc.yml": svc("web-svc", "example/web:${VERSION}") + svc("web-svc-volumes", "example/volumes:1", "  labels:\n    io.rancher.os.createonly: \"true\"\n"),
    "w/web-engine.yml": svc("docker", "example/docker:1"),
  };

  test("files are fetched, cached under the repository's name, and the cache stands in once the server is gone", async () => {
    const { url, server, requests } = await serve(FILES);
    const config = withRepos({ web: url });
    const w = warnings();
    const idx = await catalogIndex(config, w);
    assert.deepEqual(idx.services, [{ name: "container-cron", repo: "core" }, { name: "web-svc", repo: "web" }]);
    const online = await resolveEntry(config, "web-svc", "services", w);
    assert.equal(online.source, `${url}/w/web-svc.yml`);
    assert.deepEqual(online.services, { "web-svc": { image: `example/web:${VERSION}` }, "web-svc-volumes": { image: "example/volumes:1", labels: { "io.rancher.os.createonly": "true" } } });
    assert.deepEqual(w.seen, []);
    assert.ok(requests.includes("/repo/index.yml") && requests.includes("/repo/w/web-svc.yml"), requests.join(" "));
    assert.equal(readFileSync(join(paths.catalogCache, "web/index.yml"), "utf8"), FILES["index.yml"]);
    assert.equal(readFileSync(join(paths.catalogCache, "web/w/web-svc.yml"), "utf8"), FILES["w/web-svc.yml"]);

    stop(server);
    const offline = warnings();
    const again = await resolveEntry(config, "web-svc", "services", offline);
    assert.deepEqual(again, online);
    assert.ok(offline.seen.length >= 1);
    // The reason is the system's ("connect ECONNREFUSED …", or "other side closed" for a pooled connection).
    for (const m of offline.seen) assert.match(m, new RegExp(`^${url}/\\S+ cannot be reached \\(.+\\); using the copy cached in ${paths.catalogCache}/web/`));

    // Never fetched while the server was up: nothing to fall back on.
    await rejects(resolveEntry(config, "web-engine", "engines", offline), (e) =>
      assert.match(e.message, new RegExp(`^${url}/w/web-engine\\.yml cannot be reached \\(.+\\) and was never cached: check the network and rancher\\.repositories\\.web\\.url, then try again$`)));
    // Same name, another url: the old server's files must not stand in.
    const moved = withRepos({ web: url.replace("/repo", "/elsewhere") });
    const m = warnings();
    assert.deepEqual((await catalogIndex(moved, m)).services, [{ name: "container-cron", repo: "core" }]);
    assert.match(m.seen.join("\n"), /elsewhere\/index\.yml cannot be reached \(.+\) and was never cached/);
  });

  test("a server that answers 404 is an error, not a reason to use the cache", async () => {
    const files: Record<string, string> = { ...FILES };
    const { url } = await serve(files);
    const config = withRepos({ web: url });
    await resolveEntry(config, "web-svc");
    delete files["w/web-svc.yml"];
    await rejects(resolveEntry(config, "web-svc"), (e) => assert.match(e.message, new RegExp(`^${url}/w/web-svc\\.yml answered 404 Not Found`)));
  });

  test("a server that stops answering is given up on within the timeout, and the cache is used", async () => {
    const state = { hang: false };
    const { url, requests } = await serve(FILES, state);
    const config = withRepos({ slow: url });
    const online = await resolveEntry(config, "web-svc");
    state.hang = true;
    const before = requests.length;
    const w = warnings();
    const started = Date.now();
    assert.deepEqual(await resolveEntry(config, "web-svc", "services", { ...w, timeoutMs: 200 }), online);
    assert.ok(Date.now() - started < 5000, "the timeout was not applied");
    // Once the repository is found unreachable, its other files come from the cache without waiting again.
    assert.equal(requests.length - before, 1, requests.slice(before).join(" "));
    assert.deepEqual(w.seen, [
      `${url}/index.yml cannot be reached (no answer within 0.2 s); using the copy cached in ${paths.catalogCache}/slow/index.yml`,
      `${url}/w/web-svc.yml cannot be reached (no answer within 0.2 s); using the copy cached in ${paths.catalogCache}/slow/w/web-svc.yml`,
    ]);
  });

  test("a definition enabled by URL is named after its file and cached too", async () => {
    const { url, server } = await serve({ "extras/my-tool.yml": svc("my-tool", "example/tool:${TAG}") });
    const config: CloudConfig = { rancher: { environment: { TAG: "7" } } };
    const e = await resolveEntry(config, `${url}/extras/my-tool.yml`);
    assert.deepEqual(e, { name: "my-tool", source: `${url}/extras/my-tool.yml`, services: { "my-tool": { image: "example/tool:7" } } });
    stop(server);
    const w = warnings();
    assert.deepEqual(await resolveEntry(config, `${url}/extras/my-tool.yml`, "services", w), e);
    assert.equal(w.seen.length, 1);
  });
});

describe("variables", () => {
  test("${VAR}, $VAR and $$ from rancher.environment and VERSION; the environment can override VERSION", async () => {
    const file = put(join(folders, "vars.yml"), svc("vars", "${REGISTRY}/vars:$VERSION", "  command: [sh, -c, 'echo $$HOME costs $$5 on ${HOST}']\n  environment:\n    MODE: $MODE\n"));
    const env = { REGISTRY: "reg.example:5000", HOST: "h1", MODE: 3 };
    const e = await resolveEntry({ rancher: { environment: env } }, file);
    assert.deepEqual(e.services.vars, { image: `reg.example:5000/vars:${VERSION}`, command: ["sh", "-c", "echo $HOME costs $5 on h1"], environment: { MODE: "3" } });
    const pinned = await resolveEntry({ rancher: { environment: { ...env, VERSION: "9.9.9" } } }, file);
    assert.equal(pinned.services.vars!.image, "reg.example:5000/vars:9.9.9");
  });

  test("an unknown variable is an error at its line in the original file", async () => {
    const text = ["# a comment", "", "vars:", "  image: example/vars:1", "  environment:", "    A: ${NOPE}", "    B: $ALSO_NOPE-x", "  command: 'echo ${broken'", ""].join("\n");
    const file = put(join(folders, "v/vars.yml"), text);
    await rejects(resolveEntry({}, file), (e) => {
      assert.equal(e.message.split("\n")[0], `the definition of "vars" in ${file} is not valid:`);
      assert.deepEqual(e.diagnostics, [
        `${file}:6:8: unknown variable \`NOPE\` (define it in rancher.environment, or write $$ for a literal $)`,
        `${file}:7:8: unknown variable \`ALSO_NOPE\` (define it in rancher.environment, or write $$ for a literal $)`,
        `${file}:8:12: \`\${broken\` is not a variable reference (write \${NAME} or $NAME, and $$ for a literal $)`,
      ]);
    });
  });
});

describe("validation", () => {
  test("a bad definition throws every error as FILE:LINE:COL, in the file's own terms", async () => {
    const text = ["bad:", "  image: example/bad:1", "  restart: sometimes", "  imagee: typo", "helper:", "  command: [x]", ""].join("\n");
    const file = put(join(folders, "bad.yml"), text);
    await rejects(resolveEntry({}, file), (e) => {
      assert.equal(e.diagnostics.length, 3, e.message);
      assert.match(e.diagnostics[0]!, new RegExp(`^${file}:3:12: \`bad\\.restart\` must be "no", "always", "unless-stopped" or "on-failure\\[:N\\]", not "sometimes"`));
      assert.match(e.diagnostics[1]!, new RegExp(`^${file}:4:3: unknown key \`imagee\` in \`bad\` \\(did you mean \`image\`\\?\\)$`));
      assert.match(e.diagnostics[2]!, new RegExp(`^${file}:6:3: helper needs \`image:\``));
      assert.doesNotMatch(e.message, /rancher\.services|until fixed/i);
    });
  });

  test("a definition served over HTTP names its URL; YAML errors and bad shapes are caught too", async () => {
    const { url } = await serve({ "index.yml": index({ services: ["broken", "listy", "empty", "bare"] }), "b/broken.yml": "broken:\n  image: [unclosed\n", "l/listy.yml": "- listy\n", "e/empty.yml": "# nothing\n", "b/bare.yml": "bare:\n  image: x/bare\nhelper:\n" });
    const config = withRepos({ web: url });
    await rejects(resolveEntry(config, "broken"), (e) => assert.match(e.diagnostics[0]!, new RegExp(`^${url}/b/broken\\.yml:\\d+:\\d+: `)));
    await rejects(resolveEntry(config, "listy"), (e) => assert.deepEqual(e.diagnostics, [`${url}/l/listy.yml:1:1: a definition file must be a map of service names to service definitions (like \`my-service:\` with \`image:\` indented under it)`]));
    await rejects(resolveEntry(config, "empty"), (e) => assert.match(e.diagnostics[0]!, /the file defines no services/));
    await rejects(resolveEntry(config, "bare"), (e) => assert.deepEqual(e.diagnostics, [`${url}/b/bare.yml:3:1: \`helper\` has no definition (indent \`image:\` and the rest under it)`]));
  });

  test("a repeated key is a warning and the definition still applies, with the later value", async () => {
    const file = put(join(folders, "twice.yml"), svc("twice", "example/first:1", "  image: example/second:1\n"));
    const w = warnings();
    assert.deepEqual((await resolveEntry({}, file, "services", w)).services, { twice: { image: "example/second:1" } });
    assert.equal(w.seen.length, 1);
    assert.match(w.seen[0]!, new RegExp(`^${file}:3:3: warning: \`image\` is set again here`));
  });
});

describe("entries named by path", () => {
  test("absolute, ./relative and file:// paths; the name is the file's base name", async () => {
    const file = put(join(folders, "custom/my-nginx.yml"), svc("nginx", "nginx:1.27"));
    const byPath = await resolveEntry({}, file);
    assert.deepEqual(byPath, { name: "my-nginx", source: file, services: { nginx: { image: "nginx:1.27" } } });
    assert.deepEqual(await resolveEntry({}, pathToFileURL(file).href), byPath);
    const cwd = process.cwd();
    try {
      process.chdir(join(folders, "custom"));
      assert.deepEqual(await resolveEntry({}, "./my-nginx.yml"), byPath);
    } finally {
      process.chdir(cwd);
    }
    await rejects(resolveEntry({}, join(folders, "absent.yml")), (e) => assert.equal(e.message, `${join(folders, "absent.yml")} does not exist`));
    // A console named by path must still provide `console`.
    await rejects(resolveEntry({}, file, "consoles"), (e) => assert.match(e.message, /no service named `console`/));
  });
});

describe("rancher.services_include", () => {
  test("every entry turned on is resolved; a failing one is reported and never stops the others", async () => {
    const extra = folderRepo("extra", {
      "index.yml": index({ services: ["thing", "invalid", "clash"] }),
      "t/thing.yml": svc("thing", "example/thing:1") + svc("shared-volumes", "example/volumes:1"),
      "i/invalid.yml": svc("invalid", "example/invalid:1", "  restart: sometimes\n"),
      "c/clash.yml": svc("clash", "example/clash:1") + svc("shared-volumes", "example/other-volumes:1"),
    });
    const local = put(join(folders, "by-path.yml"), svc("by-path", "example/path:1"));
    const config = withRepos({ extra }, {
      services_include: { "container-cron": true, "contaner-cron": true, "extra/thing": "true", invalid: true, clash: true, [local]: true, "off-one": false, "off-two": "false" },
    });
    const { services, errors } = await includedServices(config, warnings());
    assert.deepEqual(Object.keys(services).sort(), ["by-path", "clash", "container-cron", "shared-volumes", "thing"]);
    assert.equal(services["shared-volumes"]!.image, "example/volumes:1");
    assert.equal(errors.length, 3, errors.join("\n"));
    assert.equal(errors[0], 'rancher.services_include.contaner-cron: no service "contaner-cron" in the catalogs (core, extra); did you mean "container-cron"?');
    assert.match(errors[1]!, new RegExp(`^rancher\\.services_include\\.invalid: the definition of "invalid" in ${join(extra, "i/invalid.yml")} is not valid:\n  ${join(extra, "i/invalid.yml")}:3:12: `));
    assert.equal(errors[2], 'rancher.services_include.clash: service "shared-volumes" is also defined by rancher.services_include.extra/thing, whose definition is used');
  });

  test("nothing included is nothing to do", async () => {
    assert.deepEqual(await includedServices({}), { services: {}, errors: [] });
    assert.deepEqual(await includedServices({ rancher: { services_include: { "container-cron": false } } }), { services: {}, errors: [] });
  });

  test("a missing shipped catalog is a warning, and included names then fail one by one", async () => {
    rmSync(paths.defaultCatalog, { recursive: true, force: true });
    const w = warnings();
    const { services, errors } = await includedServices({ rancher: { services_include: { "container-cron": true } } }, w);
    assert.deepEqual(services, {});
    assert.deepEqual(errors, ['rancher.services_include.container-cron: no service "container-cron" in the catalogs (core) (could not read core, which may list it)']);
    assert.match(w.seen[0]!, /repository core is skipped: .*catalog\/index\.yml does not exist/);
    assert.ok(!existsSync(paths.defaultCatalog));
  });
});
