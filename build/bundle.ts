// Bundles the TypeScript into one ESM file, dist/ros.mjs, that the image ships and bin/ros runs.
import { build, type Plugin } from "esbuild";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

/** Bundles `entry` to `outfile` the way the image's ros is bundled. */
export async function bundleFile(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
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
    plugins: [leaveOut],
    // Native addons ship beside the bundle (native-modules.ts).
    external: EXTERNAL,
    logLevel: "warning",
  });
}

export async function bundle(): Promise<string> {
  await bundleFile(join(REPO, "os/cli/main.ts"), BUNDLE);
  chmodSync(BUNDLE, 0o755);
  return BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
