// Where the API's TLS files are: rancher.agent.api.tls_dir (a host path), or the default.
import type { CloudConfig } from "../../cloud-config/schema/index.ts";
import { hostPath, paths } from "../paths.ts";

export function apiTlsDir(c: CloudConfig): string {
  const d = c.rancher?.agent?.api?.tls_dir;
  return d ? hostPath(d) : paths.apiTls;
}
