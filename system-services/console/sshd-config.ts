// sshd's whole config, rendered from `rancher.ssh`: where it listens, which host keys it offers, and
// key-only logins whatever the config says, so a console never takes a password over the network.
import type { CloudConfig } from "../../cloud-config/schema/index.ts";

export const DEFAULT_PORT = 22;

export interface Listen {
  port: number;
  /** Absent: every address of the host, IPv4 and IPv6. */
  address?: string;
}

export const DEFAULT_LISTEN: Listen = { port: DEFAULT_PORT };

/** Where the config asks sshd to listen. */
export function configuredListen(config: CloudConfig): Listen {
  const ssh = config.rancher?.ssh;
  return { port: ssh?.port ?? DEFAULT_PORT, ...(ssh?.listen_address ? { address: ssh.listen_address } : {}) };
}

export function renderSshdConfig(listen: Listen, hostKeys: string[], pidFile: string): string {
  return [
    "# Written by `ros console-init` from rancher.ssh at each console start: edits here are lost.",
    `Port ${listen.port}`,
    ...(listen.address ? [`ListenAddress ${listen.address}`] : []),
    ...hostKeys.map((k) => `HostKey ${k}`),
    // Written once the port is bound: the console's health check reads it.
    `PidFile ${pidFile}`,
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin no",
    // The console image has no PAM stack for sshd; accounts are plain /etc/passwd + shadow.
    "UsePAM no",
    "AcceptEnv LANG LC_*",
    // scp speaks SFTP since OpenSSH 9.
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    "",
  ].join("\n");
}
