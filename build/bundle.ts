// Bundles the TypeScript into one ESM file, dist/ros.mjs, that the image ships and bin/ros runs.
import { build } from "esbuild";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DIST, REPO } from "./cache.ts";

export const BUNDLE = join(DIST, "ros.mjs");

export function version(): string {
  return (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
}

export async function bundle(): Promise<string> {
  await build({
    entryPoints: [join(REPO, "os/cli/main.ts")],
    outfile: BUNDLE,
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
    // Optional native addons of ssh2 (a dockerode dependency we never use); ssh2 copes without them.
    external: ["*.node"],
    logLevel: "warning",
  });
  chmodSync(BUNDLE, 0o755);
  return BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
