// Checks any config input the way the boot would read it: a plain YAML file directly, user data
// (gzip, MIME, #include, #!, …) through the decoder first, each cloud-config part on its own.
import { isGzip } from "./userdata/gunzip.ts";
import { decodeUserData, type CloudConfigPart, type DecodedUserData } from "./userdata/decode.ts";
import { detectByHeader, looksLikeMime } from "./userdata/detect.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { validateText, type Validated } from "./validate.ts";

export interface CheckedUserData {
  decoded: DecodedUserData;
  /** Each cloud-config part with what validating it found. */
  parts: { part: CloudConfigPart; v: Validated }[];
  /** The decoder's findings, then each part's, in order. */
  diagnostics: Diagnostic[];
}

export async function checkUserData(data: Buffer, source: string): Promise<CheckedUserData> {
  const decoded = await decodeUserData(data, source);
  const parts = decoded.cloudConfigs.map((part) => ({ part, v: validateText(part.text, part.source) }));
  return { decoded, parts, diagnostics: [...decoded.diagnostics, ...parts.flatMap(({ v }) => v.diagnostics)] };
}

export async function checkInput(data: Buffer, source: string): Promise<Diagnostic[]> {
  const header = detectByHeader(data.subarray(0, 256).toString("utf8"));
  if (!isGzip(data) && !looksLikeMime(data) && (header === undefined || header.header === "#cloud-config")) return validateText(data, source).diagnostics;
  return (await checkUserData(data, source)).diagnostics;
}
