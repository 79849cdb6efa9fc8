// The node labels rancher.agent.swarm.labels asks for, merged into the node's current ones (labels
// set by others, e.g. with `docker node update`, are kept).
export type ConfigLabels = Record<string, string | number | boolean>;

/** The node's labels to write, or undefined when they already say what the config does. */
export function mergedLabels(current: Record<string, string> | undefined, wanted: ConfigLabels | undefined): Record<string, string> | undefined {
  const have = current ?? {};
  const want = Object.entries(wanted ?? {}).map(([k, v]) => [k, String(v)] as const);
  if (want.every(([k, v]) => have[k] === v)) return undefined;
  return { ...have, ...Object.fromEntries(want) };
}
