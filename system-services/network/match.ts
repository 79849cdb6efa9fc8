// Which rancher.network.interfaces entry configures which link. A key (or its `match:` value) is an
// exact name, a glob like eth*, or mac=xx:..; when several fit one link the most specific wins:
// exact name, then MAC, then the glob with the most literal characters (then the first in key order).
import type { InterfaceConfig } from "../../cloud-config/schema/index.ts";

export interface LinkId { name: string; mac: string }
export interface Match { key: string; config: InterfaceConfig }

const GLOB_CHARS = /[*?[]/;

export const isGlob = (pattern: string) => GLOB_CHARS.test(pattern);

export function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    const close = c === "[" ? glob.indexOf("]", i + 2) : -1;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (close > 0) {
      const set = glob.slice(i + 1, close);
      re += `[${set.startsWith("!") ? `^${set.slice(1)}` : set}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|[\]\\-]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The pattern a key stands for: its `match:` value when it has one. */
export const patternOf = (key: string, config: InterfaceConfig) => config.match ?? key;

/** How well a pattern fits a link: higher is more specific, undefined is no fit. */
export function specificity(pattern: string, link: LinkId): number | undefined {
  if (pattern.startsWith("mac=")) return pattern.slice(4).toLowerCase() === link.mac.toLowerCase() ? 1000 : undefined;
  if (!isGlob(pattern)) return pattern === link.name ? 2000 : undefined;
  return globRegExp(pattern).test(link.name) ? pattern.replace(/\*|\?|\[[^\]]*\]/g, "").length : undefined;
}

/**
 * The entry for each link. Globs and MACs fit only the links in `matchable` (the machine's own,
 * not the loopback nor the links the config itself creates); exact names fit any link.
 */
export function assign(interfaces: Record<string, InterfaceConfig>, links: LinkId[], matchable: (l: LinkId) => boolean): Map<string, Match> {
  const out = new Map<string, Match>();
  for (const link of links) {
    let best: { score: number; match: Match } | undefined;
    for (const [key, config] of Object.entries(interfaces)) {
      const pattern = patternOf(key, config);
      const exact = !pattern.startsWith("mac=") && !isGlob(pattern);
      if (!exact && !matchable(link)) continue;
      const score = specificity(pattern, link);
      if (score !== undefined && (!best || score > best.score)) best = { score, match: { key, config } };
    }
    if (best) out.set(link.name, best.match);
  }
  return out;
}
