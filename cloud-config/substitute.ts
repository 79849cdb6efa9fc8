// `$private_ipv4`-style values, filled in from the instance metadata the datasource gave.
import { existsSync, readFileSync } from "node:fs";
import { paths } from "../os/paths.ts";
import type { Metadata } from "./datasources/types.ts";
import { isMapValue } from "./tree.ts";

const VARS: Record<string, "privateIpv4" | "publicIpv4" | "privateIpv6" | "publicIpv6" | "hostname" | "instanceId"> = {
  private_ipv4: "privateIpv4",
  public_ipv4: "publicIpv4",
  private_ipv6: "privateIpv6",
  public_ipv6: "publicIpv6",
  hostname: "hostname",
  instance_id: "instanceId",
};

export function readMetadata(): Metadata {
  try {
    return existsSync(paths.metadata) ? (JSON.parse(readFileSync(paths.metadata, "utf8")) as Metadata) : {};
  } catch {
    return {};
  }
}

/** Replaces $name and ${name} for the known names; unknown names and missing values stay as written. */
export function substitute<T>(v: T, md: Metadata): T {
  if (typeof v === "string") {
    return v.replace(/\$(?:\{(\w+)\}|(\w+))/g, (all, a: string | undefined, b: string | undefined) => {
      const field = VARS[(a ?? b)!];
      return (field && md[field]) || all;
    }) as T;
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, md)) as T;
  if (isMapValue(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, md)])) as T;
  return v;
}
