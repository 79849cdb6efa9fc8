// The one error the catalog throws: its message is written for the user of `ros service …` or the
// boot log, and a definition that failed validation also carries its diagnostics one per line.
import { MAX_CONFIG_BYTES } from "../../../cloud-config/parse.ts";

export class CatalogError extends Error {
  override name = "CatalogError";
  /** `FILE:LINE:COL: message (hint)` lines, when the error is about a file's content. */
  readonly diagnostics: string[];

  constructor(message: string, diagnostics: string[] = []) {
    super(diagnostics.length ? `${message}:\n${diagnostics.map((d) => `  ${d}`).join("\n")}` : message);
    this.diagnostics = diagnostics;
  }
}

export const tooBig = (where: string) => new CatalogError(`${where} is over the ${MAX_CONFIG_BYTES / 1048576} MiB limit for a catalog file`);
