// `ros api`: a client of the host API (os/api/), on this host's socket or a remote host over mutual TLS.
import { Command } from "commander";

const target = (c: Command) =>
  c
    .option("--url <url>", "a host's API over TLS, like https://10.0.0.5:7443 (default: this host's /var/run/corral.sock)")
    .option("--tls-dir <dir>", "ca.pem, cert.pem and key.pem for --url (default: /var/lib/rancher/conf/tls)");

export function apiCommand(): Command {
  const api = new Command("api").description("talk to the host API (see GET /openapi.json)");
  target(
    api
      .command("request")
      .description("one request; the answer's body on stdout (streamed, as logs ?follow=true are); exit 1 on an error status")
      .argument("<path>", "like /os/version or '/config?key=hostname'")
      .option("-X, --method <method>", "GET, POST, PATCH…", "GET")
      .option("-d, --data <body>", "the request's body; @FILE reads a file, @- stdin"),
  ).action(async (path: string, o: { method: string; data?: string; url?: string; tlsDir?: string }) => (await import("./api-actions.ts")).request(path, o));
  target(
    api
      .command("shell")
      .description("a login shell on the host over the API's WebSocket; exits with the shell's code")
      .option("-u, --user <user>", "who logs in", "rancher"),
  ).action(async (o: { user: string; url?: string; tlsDir?: string }) => (await import("./api-actions.ts")).shell(o));
  return api;
}
