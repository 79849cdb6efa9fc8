// What Corral does with each MIME type of user data. One table serves MIME parts (by their
// Content-Type), archive entries (by `type:`) and plain documents (by the header detect.ts reads).
//
// Shell scripts: Corral runs the user-data script at every boot (as RancherOS did), so
// text/x-shellscript and text/x-shellscript-per-boot are scripts. Per-instance and per-once scripts
// are skipped with a warning: running them at every boot would repeat work meant to happen once.

export type PartRoute =
  | { kind: "cloud-config" }
  | { kind: "script" }
  | { kind: "include" }
  | { kind: "archive" }
  | { kind: "multipart" }
  /** No type worth trusting (text/plain, octet-stream, gzip): look at the content. */
  | { kind: "by-content" }
  | { kind: "unsupported"; hint: string };

const SCRIPT_INSTEAD = "put the commands in a #! script part or in runcmd of a #cloud-config part";

const UNSUPPORTED_HINTS: Record<string, string> = {
  "text/cloud-boothook": `Corral runs no boothooks; ${SCRIPT_INSTEAD}`,
  "text/part-handler": `Corral runs no Python part handlers; ${SCRIPT_INSTEAD}`,
  "text/jinja2": "Corral renders no templates; render it before handing it over as user data",
  "text/upstart-job": `Corral has no upstart; ${SCRIPT_INSTEAD}`,
  "text/cloud-config-jsonp": "send the merged result as a #cloud-config part instead of a JSON patch",
  "text/x-shellscript-per-instance":
    "Corral runs user-data scripts at every boot; send it as text/x-shellscript if running it at every boot is safe",
  "text/x-shellscript-per-once":
    "Corral runs user-data scripts at every boot; send it as text/x-shellscript if running it at every boot is safe",
};

const BY_CONTENT = new Set(["text/plain", "application/octet-stream", "application/gzip", "application/x-gzip"]);

export function routeFor(type: string): PartRoute {
  switch (type) {
    case "text/cloud-config":
      return { kind: "cloud-config" };
    case "text/x-shellscript":
    case "text/x-shellscript-per-boot":
      return { kind: "script" };
    case "text/x-include-url":
    case "text/x-include-once-url":
      return { kind: "include" };
    case "text/cloud-config-archive":
      return { kind: "archive" };
  }
  if (type.startsWith("multipart/")) return { kind: "multipart" };
  if (BY_CONTENT.has(type)) return { kind: "by-content" };
  return {
    kind: "unsupported",
    hint: UNSUPPORTED_HINTS[type] ?? "Corral reads text/cloud-config, text/x-shellscript, text/x-include-url, text/cloud-config-archive and multipart/mixed parts",
  };
}

/** Types that say nothing about the content, so a gzip layer under them is followed by detection. */
export const isGenericType = (type: string) => BY_CONTENT.has(type);
