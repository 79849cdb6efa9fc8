// The npm packages the bundle cannot hold because they are native addons: node-pty, for the host
// API's shell. It is built on N-API, so the pty.node that npm built for this machine's Node also
// loads in the guest's Node 18 (a stable ABI); the image carries the package's JS and that addon in
// /usr/lib/ros/node_modules, where the bundle's import("node-pty") finds it.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { REPO } from "./cache.ts";

export const EXTERNAL = ["node-pty"];

const PTY = join(REPO, "node_modules/node-pty");

/** What the package needs at run time: its manifest, its compiled JS (no tests, no maps), the Linux addon. */
function runtimeFiles(): string[] {
  const addon = join(PTY, "build/Release/pty.node");
  if (!existsSync(addon)) throw new Error(`${addon} is missing: npm did not build node-pty (it needs make, g++ and python3; \`npm rebuild node-pty\`)`);
  const js = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? js(join(dir, e.name)) : e.name.endsWith(".js") && !e.name.endsWith(".test.js") ? [join(dir, e.name)] : []));
  return [join(PTY, "package.json"), ...js(join(PTY, "lib")), addon];
}

/** The files' contents, for the cache key of the layer that carries them. */
export const nativeModulesKey = (): Buffer[] => runtimeFiles().map((f) => readFileSync(f));

/** Copies the packages into `nodeModules` (a node_modules folder). */
export function copyNativeModules(nodeModules: string): void {
  for (const f of runtimeFiles()) {
    const to = join(nodeModules, "node-pty", relative(PTY, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
}
