// Bundles the TypeScript into dist/ros.mjs, that the image ships and bin/ros runs, and the chunks
// it loads as commands need them (dist/ros-chunks/): under TCG every ros start parses what it loads,
// and `ros --version` need not parse the config schema, nor `ros config get` dockerode.
import { build, type Plugin } from "esbuild";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DIST, REPO } from "./cache.ts";
import { EXTERNAL } from "./native-modules.ts";

export const BUNDLE = join(DIST, "ros.mjs");

/** package.json's, or CORRAL_VERSION's (the upgrade test builds a newer one). */
export function version(): string {
  if (process.env.CORRAL_VERSION) return process.env.CORRAL_VERSION;
  return (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
}

// dockerode reaches these only for BuildKit builds and ssh:// daemons, which ros never uses; leaving
// them out makes the bundle a fraction of the size, and every ros start (under TCG, seconds) faster.
const UNUSED = ["@grpc/grpc-js", "@grpc/proto-loader", "protobufjs", "ssh2"];

const leaveOut: Plugin = {
  name: "leave-out",
  setup(b) {
    const filter = new RegExp(`^(${UNUSED.map((m) => m.replace(/[/.]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "left-out" }));
    b.onLoad({ filter: /.*/, namespace: "left-out" }, (args) => ({
      // Any export is a function that throws when called, so requiring the module (or reading
      // its exports at load time, as docker-modem does with ssh2's Client) still works.
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not in the ros bundle`)}); };
        module.exports = new Proxy({}, { get: (_, k) => (k === "__esModule" ? false : fail) });`,
      loader: "js",
    }));
  },
};

// zod's namespace re-exports every language's error messages (most of zod's bytes); ros speaks
// English only, which zod sets up by itself from locales/en.js.
const englishOnly: Plugin = {
  name: "english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes("/node_modules/zod/") ? { path: join(dirname(args.importer), "../locales/en.js"), namespace: "zod-locales" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, loader: "js", resolveDir: dirname(args.path) }));
  },
};

/** The folder beside `outfile` that holds its chunks. */
const chunkDir = (outfile: string) => join(dirname(outfile), `${basename(outfile, ".mjs")}-chunks`);

/** The bundle and its chunks: what a copy of it must carry. */
export function bundleFiles(outfile: string): string[] {
  const dir = chunkDir(outfile);
  return [outfile, ...readdirSync(dir).sort().map((f) => join(dir, f))];
}

/** Copies the bundle, as `name`, and its chunks into `dir` (an image's /usr/lib/ros). */
export function installBundle(outfile: string, dir: string, name = basename(outfile)): string {
  mkdirSync(chunkDir(join(dir, name)), { recursive: true });
  for (const f of bundleFiles(outfile)) copyFileSync(f, f === outfile ? join(dir, name) : join(chunkDir(join(dir, name)), basename(f)));
  return join(dir, name);
}

/** Bundles `entry` to `outfile` (an .mjs) and its chunks the way the image's ros is bundled. */
export async function bundleFile(entry: string, outfile: string): Promise<void> {
  const chunks = chunkDir(outfile);
  const result = await build({
    entryPoints: [entry],
    outdir: dirname(outfile),
    entryNames: basename(outfile, ".mjs"),
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: `${relative(dirname(outfile), chunks)}/[name]-[hash]`,
    metafile: true,
    bundle: true,
    platform: "node",
    // The guest runs Debian's Node 18.
    target: "node18",
    format: "esm",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    define: { ROS_VERSION: JSON.stringify(version()) },
    // Bundled CommonJS deps (dockerode) use require() and __dirname; give the ESM bundle both.
    banner: {
      js: [
        "#!/usr/bin/node",
        "import{createRequire as __cr}from'node:module';import{fileURLToPath as __fu}from'node:url';import{dirname as __dn}from'node:path';",
        "const require=__cr(import.meta.url);const __filename=__fu(import.meta.url);const __dirname=__dn(__filename);",
      ].join("\n"),
    },
    plugins: [leaveOut, englishOnly],
    // Native addons ship beside the bundle (native-modules.ts).
    external: EXTERNAL,
    logLevel: "warning",
  });
  // Chunks of earlier builds (their names carry their hashes) go; copies of the bundle have their own.
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(f)));
  mkdirSync(chunks, { recursive: true });
  for (const f of readdirSync(chunks)) if (!written.has(join(chunks, f))) rmSync(join(chunks, f));
}

export async function bundle(): Promise<string> {
  await bundleFile(join(REPO, "os/cli/main.ts"), BUNDLE);
  chmodSync(BUNDLE, 0o755);
  return BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
