// Checks any config input the way the boot would read it: a plain YAML file directly, user data
// (gzip, MIME, #include, #!, …) through the decoder first, each cloud-config part on its own.
import { isGzip } from "./userdata/gunzip.ts";
import { decodeUserData } from "./userdata/decode.ts";
import { detectByHeader, looksLikeMime } from "./userdata/detect.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { validateText } from "./validate.ts";

export async function checkInput(data: Buffer, source: string): Promise<Diagnostic[]> {
  const head = data.subarray(0, 256).toString("utf8");
  const header = detectByHeader(head);
  if (!isGzip(data) && !looksLikeMime(data) && (header === undefined || header.header === "#cloud-config")) return validateText(data, source).diagnostics;
  const decoded = await decodeUserData(data, source);
  return [...decoded.diagnostics, ...decoded.cloudConfigs.flatMap((p) => validateText(p.text, p.source).diagnostics)];
}
