// Who is on the other end of a connection, for the request log. TLS: the client certificate's CN
// (the server refuses any client without one from its CA). Unix: "unix" — Node does not expose
// SO_PEERCRED, and the kernel's socket diagnostics (`ss -xp`) do not name the peer on every kernel
// (these machines report none); the socket being root-only already says the client was root.
import type { TLSSocket } from "node:tls";

export function tlsIdentity(s: TLSSocket): string {
  const cn = s.getPeerCertificate()?.subject?.CN;
  return `tls:${(Array.isArray(cn) ? cn[0] : cn) ?? "?"}@${s.remoteAddress ?? "?"}`;
}

export const UNIX_IDENTITY = "unix";
