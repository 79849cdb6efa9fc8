// RancherOS-style datasource specs (rancher.cloud_init.datasources), "name" or "name:argument",
// to datasources. A spec that cannot be used becomes a message; nothing here throws.
import { cmdlineValue } from "../cmdline.ts";
import { configDriveDirectory } from "./configdrive.ts";
import { digitalOceanSource } from "./digitalocean.ts";
import { configDriveDisk, nocloudDisk } from "./disk.ts";
import { ec2Source } from "./ec2.ts";
import { fileSource } from "./file.ts";
import { gceSource } from "./gce.ts";
import { cmdlineSource, dsSource, type Made } from "./kernel-cmdline.ts";
import { nocloudDirectory, nocloudSeedUrl } from "./nocloud.ts";
import { openstackSource } from "./openstack.ts";
import { checkHttpUrl, urlSource } from "./url.ts";
import type { Datasource } from "./types.ts";

export const ACCEPTED_SPECS =
  "nocloud, nocloud:/dir, nocloud:http(s)://seed/, configdrive, configdrive:/dir, file:/path, url:http(s)://..., cmdline, " +
  "ec2, openstack, gce, digitalocean (each of the last four optionally :http(s)://base-url)";

const SERVICES: Record<string, (base?: string) => Datasource> = {
  ec2: ec2Source,
  openstack: openstackSource,
  gce: gceSource,
  digitalocean: digitalOceanSource,
};

/** One spec to a datasource; `cmdline` is the kernel command line the "cmdline" spec reads. */
export function parseSpec(spec: unknown, cmdline: string): Made {
  if (typeof spec !== "string" || spec.trim() === "") return { error: `rancher.cloud_init.datasources: ${JSON.stringify(spec)} is not a datasource; accepted: ${ACCEPTED_SPECS}` };
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(":");
  const kind = (colon < 0 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  const arg = colon < 0 ? undefined : trimmed.slice(colon + 1).trim();
  const fail = (why: string): Made => ({ error: `rancher.cloud_init.datasources: "${trimmed}": ${why}` });
  const absolute = (what: string, make: (p: string) => Datasource): Made =>
    arg?.startsWith("/") ? { source: make(arg) } : fail(`${kind}: needs an absolute ${what}, like ${kind}:/${what === "path" ? "var/lib/rancher/conf/user_config.yml" : "media/config-2"}`);
  const http = (make: (url: string) => Datasource, example: string): Made => {
    const bad = checkHttpUrl(arg ?? "");
    return bad ? fail(`${bad}; write ${example}`) : { source: make(arg!) };
  };

  switch (kind) {
    case "nocloud":
      if (arg === undefined) return { source: nocloudDisk() };
      if (arg.startsWith("/")) return { source: nocloudDirectory(arg) };
      return http((url) => nocloudSeedUrl(url), "nocloud, nocloud:/dir or nocloud:http://host/seed/");
    case "configdrive":
      return arg === undefined ? { source: configDriveDisk() } : absolute("directory", configDriveDirectory);
    case "file":
      return absolute("path", fileSource);
    case "url":
      return http((url) => urlSource(url), "url:http://host/user-data");
    case "cmdline":
      return arg === undefined ? cmdlineSource(cmdline) : fail(`cmdline takes no argument (it reads cloud-config-url= from the kernel command line)`);
    default: {
      const service = SERVICES[kind];
      if (!service) return fail(`unknown datasource "${kind}"; accepted: ${ACCEPTED_SPECS}`);
      return arg === undefined ? { source: service() } : http(service, `${kind} or ${kind}:http://host:port`);
    }
  }
}

/**
 * Datasources from RancherOS-style specs plus any the kernel command line names (cloud-config-url=,
 * ds=...). The same source named twice is polled once; the kernel command line's version wins.
 */
export function datasourcesFor(specs: string[], cmdline: string): { sources: Datasource[]; errors: string[] } {
  const byName = new Map<string, Datasource>();
  const errors: string[] = [];
  const take = (made: Made | undefined) => {
    if (!made) return;
    if ("error" in made) errors.push(made.error);
    else byName.set(made.source.name, made.source);
  };
  for (const spec of Array.isArray(specs) ? specs : []) take(parseSpec(spec, cmdline));
  if (!byName.has("cmdline") && cmdlineValue(cmdline, "cloud-config-url") !== undefined) take(cmdlineSource(cmdline));
  take(dsSource(cmdline, (name) => {
    const made = parseSpec(name, cmdline);
    return "error" in made ? { error: `kernel command line ds=${name}: unknown datasource; accepted: nocloud, nocloud-net, ${Object.keys(SERVICES).join(", ")}, configdrive` } : made;
  }));
  return { sources: [...byName.values()], errors };
}
