// Datasources the kernel command line names:
//   cloud-config-url=http(s)://...          user data fetched from that URL (the "cmdline" source)
//   ds=nocloud;s=<seed>;h=<host>;i=<id>      a NoCloud seed: <seed>user-data and <seed>meta-data,
//                                           where <seed> is http(s)://..., file:///dir/ or /dir/;
//                                           without s=, the cidata disk. ds=nocloud-net is the same,
//                                           and seedfrom=, local-hostname=, instance-id= are the long keys.
//   ds=<name>                                any other datasource that needs no argument (ds=ec2).
import { cmdlineValue } from "../cmdline.ts";
import { nocloudDisk } from "./disk.ts";
import { metadata } from "./metadata.ts";
import { nocloudDirectory, nocloudSeedUrl } from "./nocloud.ts";
import { checkHttpUrl, urlSource } from "./url.ts";
import type { Datasource } from "./types.ts";

export type Made = { source: Datasource } | { error: string };

/** The `cmdline` source: present when the command line has cloud-config-url=, absent otherwise. */
export function cmdlineSource(cmdline: string): Made {
  const url = cmdlineValue(cmdline, "cloud-config-url");
  if (url === undefined) return { source: { name: "cmdline", fetch: async () => undefined } };
  const bad = checkHttpUrl(url);
  if (bad) return { error: `kernel command line cloud-config-url=${url}: ${bad} (give cloud-config-url=http://host/path)` };
  return { source: urlSource(url, "cmdline", `cmdline:${url}`) };
}

const KEYS: Record<string, "seed" | "hostname" | "instanceId"> = {
  s: "seed",
  seedfrom: "seed",
  h: "hostname",
  "local-hostname": "hostname",
  i: "instanceId",
  "instance-id": "instanceId",
};

/** The source ds= names, if any; `otherSpec` makes a source from a spec name such as "ec2". */
export function dsSource(cmdline: string, otherSpec: (name: string) => Made): Made | undefined {
  const value = cmdlineValue(cmdline, "ds");
  if (value === undefined) return undefined;
  const [rawName = "", ...pairs] = value.split(";");
  const name = rawName.trim().toLowerCase();
  const fail = (why: string): Made => ({ error: `kernel command line ds=${value}: ${why}` });
  if (name !== "nocloud" && name !== "nocloud-net") {
    if (pairs.length) return fail(`only ds=nocloud takes ;key=value settings`);
    return otherSpec(name);
  }
  const got: { seed?: string; hostname?: string; instanceId?: string } = {};
  for (const pair of pairs) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = KEYS[eq < 0 ? pair : pair.slice(0, eq)];
    if (!key || eq < 0) return fail(`"${pair}" is not one of s=<seed>, h=<hostname>, i=<instance-id> (or seedfrom=, local-hostname=, instance-id=)`);
    got[key] = pair.slice(eq + 1);
  }
  const overrides = metadata({ hostname: got.hostname, instanceId: got.instanceId });
  const seed = got.seed;
  if (seed === undefined || seed === "") return { source: nocloudDisk(overrides) };
  if (/^https?:\/\//i.test(seed)) {
    const bad = checkHttpUrl(seed);
    return bad ? fail(bad) : { source: nocloudSeedUrl(seed, overrides) };
  }
  if (/^file:\/\//i.test(seed)) {
    let dir: string;
    try {
      dir = decodeURIComponent(new URL(seed).pathname);
    } catch {
      return fail(`"${seed}" is not a file:// URL`);
    }
    return { source: nocloudDirectory(dir, overrides, `nocloud:${seed}`) };
  }
  if (seed.startsWith("/")) return { source: nocloudDirectory(seed, overrides) };
  return fail(`the seed "${seed}" must be http://..., https://..., file:///dir/ or /dir/`);
}
