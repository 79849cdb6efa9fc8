// What `ros tls gen` does and prints.
import { hostname } from "node:os";
import { loadConfig } from "../../cloud-config/load.ts";
import { apiTlsDir } from "../api/tls-dir.ts";
import { tlsGen } from "../api/tls.ts";
import { fail, say } from "./output.ts";

export function gen(o: { hostname?: string[]; dir?: string; clientName: string }): void {
  const dir = o.dir ?? apiTlsDir(loadConfig().config);
  try {
    const written = tlsGen({ dir, hosts: [...(o.hostname ?? []), hostname()], clientName: o.clientName });
    say(`ros tls gen: wrote ${written.join(", ")} in ${dir}`);
    say(`clients use ca.pem, cert.pem and key.pem; set rancher.agent.api.listen (like 0.0.0.0:7443) to serve the API over TLS`);
  } catch (e) {
    fail([`ros tls gen: ${(e as Error).message}`]);
  }
}
