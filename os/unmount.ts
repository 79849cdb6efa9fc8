// Unmounting what a daemon left mounted below a folder (its network namespaces, overlays).
import { readFileSync } from "node:fs";
import { run } from "./exec.ts";

/** Unmounts everything mounted below `dir`, deepest first, so the folder can be removed. */
export async function unmountUnder(dir: string): Promise<void> {
  const points = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${dir}/`));
  for (const m of points.sort((a, b) => b.length - a.length)) await run("umount", [m]).catch(() => undefined);
}
