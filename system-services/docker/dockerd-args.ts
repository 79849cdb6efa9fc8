// rancher.docker as a dockerd command line: pure, so every key's rendering is unit-tested without a
// daemon. The socket, data root, exec root and pidfile are Corral's unless the config names others.
import { join } from "node:path";
import type { DockerConfig } from "../../cloud-config/schema/index.ts";

export interface DockerdLocations {
  /** The Unix socket dockerd always serves; the host's /var/run/docker.sock links to it. */
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  /** Where the TLS certificates from the config are written. */
  tlsDir: string;
}

export interface FileToWrite { path: string; content: string; mode: number }

export interface DockerdCommand {
  args: string[];
  /** Added to dockerd's environment (rancher.docker.environment: proxies and the like). */
  env: Record<string, string>;
  /** Written before dockerd starts: the TLS certificates. */
  files: FileToWrite[];
  /** PID files a previous run leaves behind (dockerd's, and containerd's in the exec root). */
  pidFiles: string[];
  /** Config that cannot be honoured, said so the user can fix it. */
  warnings: string[];
}

/** The host's /var/run/docker.sock is a link to our socket, so naming it means our socket. */
const DEFAULT_HOST = "unix:///var/run/docker.sock";
const TLS_PORT = 2376;

/** RancherOS's `args` begin with the daemon subcommand (`daemon`, or `docker daemon`); dockerd takes none. */
function withoutSubcommand(args: string[]): string[] {
  let i = 0;
  if (args[i] === "docker") i++;
  if (args[i] === "daemon" || args[i] === "dockerd") i++;
  return args.slice(i);
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Drops `-H unix:///var/run/docker.sock` (either spelling): that socket is already served. */
function withoutDefaultHost(args: string[], socket: string): string[] {
  const ours = (h: string | undefined) => h === DEFAULT_HOST || h === `unix://${socket}`;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === "-H" || a === "--host") && ours(args[i + 1])) i++;
    else if (!ours(/^(?:-H|--host)=?(.*)$/.exec(a)?.[1])) out.push(a);
  }
  return out;
}

function tls(c: DockerConfig, dir: string): Pick<DockerdCommand, "args" | "files" | "warnings"> {
  const ca = join(dir, "ca.pem");
  const cert = join(dir, "server-cert.pem");
  const key = join(dir, "server-key.pem");
  const files: FileToWrite[] = [];
  if (c.ca_cert) files.push({ path: ca, content: c.ca_cert, mode: 0o644 });
  if (c.server_cert) files.push({ path: cert, content: c.server_cert, mode: 0o644 });
  if (c.server_key) files.push({ path: key, content: c.server_key, mode: 0o600 });
  // The user's own TLS arguments name their own files: pass them as written.
  if (c.tls_args?.length) return { args: c.tls_args, files, warnings: [] };
  const missing = (["ca_cert", "server_cert", "server_key"] as const).filter((k) => !c[k]);
  if (missing.length) {
    // A TCP listener without client verification would hand the host to anyone who can reach it.
    return { args: [], files: [], warnings: [`rancher.docker.tls is true but ${missing.map((k) => `rancher.docker.${k}`).join(", ")} ${missing.length === 1 ? "is" : "are"} not set: the user Docker listens on its Unix socket only (set the certificates, or tls_args naming your own)`] };
  }
  return { args: ["--tlsverify", `--tlscacert=${ca}`, `--tlscert=${cert}`, `--tlskey=${key}`, `--host=tcp://0.0.0.0:${TLS_PORT}`], files, warnings: [] };
}

function environment(entries: string[], warnings: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf("=");
    if (eq <= 0) warnings.push(`rancher.docker.environment: "${e}" is not NAME=value; it is left out`);
    else env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return env;
}

export function dockerdCommand(config: DockerConfig | undefined, at: DockerdLocations): DockerdCommand {
  const c = config ?? {};
  const warnings: string[] = [];
  const execRoot = c.exec_root ?? at.execRoot;
  const pidFile = c.pid_file ?? at.pidFile;
  const args = [
    `--host=unix://${at.socket}`,
    `--data-root=${c.data_root ?? c.graph ?? at.dataRoot}`,
    `--exec-root=${execRoot}`,
    `--pidfile=${pidFile}`,
    `--group=${c.group ?? "docker"}`,
  ];
  const value = (flag: string, v: string | number | undefined) => v !== undefined && args.push(`--${flag}=${v}`);
  const flag = (name: string, v: boolean | undefined) => v !== undefined && args.push(`--${name}=${v}`);

  for (const h of withoutDefaultHost(list(c.host).map((h) => `--host=${h}`), at.socket)) args.push(h);
  value("storage-driver", c.storage_driver);
  for (const o of c.storage_opts ?? []) value("storage-opt", o);
  value("log-driver", c.log_driver);
  for (const [k, v] of Object.entries(c.log_opts ?? {})) value("log-opt", `${k}=${v}`);
  value("registry-mirror", c.registry_mirror);
  for (const r of list(c.insecure_registry)) value("insecure-registry", r);
  value("bridge", c.bridge);
  value("bip", c.bip);
  value("fixed-cidr", c.fixed_cidr);
  value("mtu", c.mtu);
  flag("iptables", c.iptables);
  flag("ip-masq", c.ip_masq);
  flag("userland-proxy", c.userland_proxy);
  flag("ipv6", c.ipv6);
  flag("icc", c.icc);
  flag("live-restore", c.live_restore);
  flag("selinux-enabled", c.selinux_enabled);
  flag("debug", c.debug);
  value("containerd", c.containerd);
  value("config-file", c.config_file);

  const files: FileToWrite[] = [];
  if (c.tls) {
    const t = tls(c, at.tlsDir);
    args.push(...t.args);
    files.push(...t.files);
    warnings.push(...t.warnings);
  }
  // The user's own arguments come last, so where they repeat a flag above they win.
  args.push(...withoutDefaultHost([...withoutSubcommand(c.args ?? []), ...(c.extra_args ?? [])], at.socket));
  if (c.engine) warnings.push(`rancher.docker.engine (${c.engine}) is not switched here: the user Docker is the OS's own dockerd`);
  const pidFiles = [pidFile, join(execRoot, "containerd", "containerd.pid")];
  return { args, env: environment(c.environment ?? [], warnings), files, pidFiles, warnings };
}
