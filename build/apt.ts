// A private apt, separate from the host's: Debian's archive only, an empty dpkg status so the
// resolver returns a package's whole closure, and downloads kept in the build cache.
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../os/exec.ts";
import { cacheDir } from "./cache.ts";

const SUITES = ["bookworm", "bookworm-updates"];
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

function aptRoot(): string {
  const root = cacheDir("apt");
  for (const d of ["lists/partial", "archives/partial", "cache"]) mkdirSync(join(root, d), { recursive: true });
  const sources = [
    ...SUITES.map((s) => `deb [signed-by=${KEYRING}] http://deb.debian.org/debian ${s} main`),
    `deb [signed-by=${KEYRING}] http://deb.debian.org/debian-security bookworm-security main`,
  ].join("\n");
  writeFileSync(join(root, "sources.list"), sources + "\n");
  if (!existsSync(join(root, "status"))) writeFileSync(join(root, "status"), "");
  return root;
}

function aptOptions(root: string): string[] {
  const o = {
    "Dir::Etc::SourceList": join(root, "sources.list"),
    "Dir::Etc::SourceParts": "/nonexistent",
    "Dir::Etc::Preferences": "/nonexistent",
    "Dir::Etc::PreferencesParts": "/nonexistent",
    "Dir::State::Lists": join(root, "lists"),
    "Dir::State::Status": join(root, "status"),
    "Dir::Cache": join(root, "cache"),
    "Dir::Cache::Archives": join(root, "archives"),
    "Debug::NoLocking": "1",
    "APT::Install-Recommends": "false",
    "APT::Architecture": "amd64",
  };
  return Object.entries(o).flatMap(([k, v]) => ["-o", `${k}=${v}`]);
}

async function ensureLists(root: string): Promise<void> {
  const lists = join(root, "lists");
  const fresh = readdirSync(lists).some((f) => f.endsWith("_Packages") && Date.now() - statSync(join(lists, f)).mtimeMs < LISTS_MAX_AGE_MS);
  if (!fresh) await run("apt-get", [...aptOptions(root), "-q", "update"]);
}

export interface Deb { name: string; version: string; file: string }

const resolved = new Map<string, Promise<Deb[]>>();

/** Downloads `packages` and everything they depend on; returns the .deb files in install order. */
export function resolveDebs(packages: string[]): Promise<Deb[]> {
  const key = [...packages].sort().join(" ");
  if (!resolved.has(key)) resolved.set(key, download(packages));
  return resolved.get(key)!;
}

async function download(packages: string[]): Promise<Deb[]> {
  const root = aptRoot();
  await ensureLists(root);
  const opts = aptOptions(root);
  const sim = await run("apt-get", [...opts, "-s", "install", ...packages], { env: { ...process.env, LC_ALL: "C" } });
  const debs: Deb[] = [];
  for (const line of sim.stdout.split("\n")) {
    const m = /^Inst (\S+) \((\S+)/.exec(line);
    if (m) debs.push({ name: m[1]!, version: m[2]!, file: "" });
  }
  if (debs.length === 0) throw new Error(`apt resolved nothing for: ${packages.join(" ")}`);
  await run("apt-get", [...opts, "-q", "-y", "--download-only", "install", ...packages], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  const archives = join(root, "archives");
  const files = readdirSync(archives).filter((f) => f.endsWith(".deb"));
  for (const d of debs) {
    // apt names files <name>_<version with ':' as %3a>_<arch>.deb
    const prefix = `${d.name}_${d.version.replace(/:/g, "%3a")}_`;
    const file = files.find((f) => f.startsWith(prefix));
    if (!file) throw new Error(`apt did not download ${d.name} ${d.version}`);
    d.file = join(archives, file);
  }
  return debs;
}
