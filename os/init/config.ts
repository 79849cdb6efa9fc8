// The config stage of the boot: ask the datasources (all at once, under one time budget) for user
// data, keep what can be read, then load the merged config. Every problem is printed against the
// user's own file and line; none of them stops the boot.
import { fetchFirst, datasourcesFor } from "../../cloud-config/datasources/index.ts";
import { formatDiagnostic } from "../../cloud-config/diagnostics.ts";
import { loadLayers, mergeLayers, readCmdline } from "../../cloud-config/load.ts";
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { readMetadata } from "../../cloud-config/metadata-file.ts";
import { applyNextBoot } from "../../cloud-config/next-boot.ts";
import { applyUserData } from "../../cloud-config/user-data.ts";
import { log } from "../log.ts";
import { paths } from "../paths.ts";
import { earlyDhcp, needsNetwork } from "./network.ts";

const DATASOURCE_BUDGET_MS = 10_000;

export async function loadBootConfig(): Promise<CloudConfig> {
  try {
    for (const d of applyNextBoot()) log("cloud-config", `next-boot change refused: ${formatDiagnostic(d)}`);
  } catch (e) {
    log("cloud-config", `error: the next-boot changes were not applied: ${(e as Error).message}`);
  }
  const cmdline = readCmdline();
  const before = mergeLayers(loadLayers({ cmdline }));
  const specs = before.rancher?.cloud_init?.datasources ?? [];
  const { sources, errors } = datasourcesFor(specs, cmdline);
  for (const e of errors) log("cloud-config", `error: ${e}`);
  if (sources.some((s) => needsNetwork(s.name))) earlyDhcp();
  const { found, report } = await fetchFirst(sources, DATASOURCE_BUDGET_MS);
  for (const line of report) log("cloud-config", `datasource ${line}`);
  let reported = new Set<string>();
  if (found) {
    const applied = await applyUserData(found);
    for (const d of applied.diagnostics) log("cloud-config", formatDiagnostic(d));
    log("cloud-config", `user data from ${found.source}: kept ${applied.wrote.join(", ") || "nothing"}`);
    // Already reported above, against the datasource's own name for the file.
    if (applied.wrote.includes("boot.yml")) reported = new Set([paths.bootConfig]);
  } else log("cloud-config", "no datasource answered; the saved config stays in force");
  const layers = loadLayers({ cmdline });
  for (const l of layers) if (!reported.has(l.file)) for (const d of l.diagnostics) log("cloud-config", formatDiagnostic(d));
  const config = mergeLayers(layers);
  return { ...config, hostname: config.hostname ?? readMetadata().hostname };
}
