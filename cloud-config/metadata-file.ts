// The instance metadata the boot's datasource gave, kept as JSON for the services and `ros`.
import { existsSync, readFileSync } from "node:fs";
import { paths } from "../os/paths.ts";
import type { Metadata } from "./datasources/types.ts";

export function readMetadata(): Metadata {
  try {
    return existsSync(paths.metadata) ? (JSON.parse(readFileSync(paths.metadata, "utf8")) as Metadata) : {};
  } catch {
    return {};
  }
}
