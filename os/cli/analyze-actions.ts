// What `ros analyze boot` does, loaded only when it runs.
import { writeFileSync } from "node:fs";
import { formatTimeline, readTimeline, rows, type BootTimeline } from "../analyze/timeline.ts";
import { timelineSvg } from "../analyze/svg.ts";
import { paths } from "../paths.ts";
import { fail, say } from "./output.ts";

export function analyzeBoot(o: { output: string; svg?: string }): void {
  if (o.output !== "text" && o.output !== "json") fail([`ros analyze boot: unknown output "${o.output}": use text or json`]);
  let t: BootTimeline;
  try {
    t = readTimeline();
  } catch (e) {
    return fail([`ros analyze boot: cannot read ${paths.bootTimeline}: ${(e as Error).message}`, "(init writes it at boot: is this a Corral host, booted by ros init?)"]);
  }
  if (o.svg) writeFileSync(o.svg, timelineSvg(t));
  if (o.output === "json") say(JSON.stringify({ complete: t.complete, rows: rows(t) }, null, 2));
  else process.stdout.write(formatTimeline(t));
}
