// `$private_ipv4`-style values, filled in from the instance metadata the datasource gave. Pure: no
// files, so the validator can use it anywhere.
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
