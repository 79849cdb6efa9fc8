// GRUB's environment block (grubenv): a 1024-byte file of "name=value" lines padded with '#',
// which GRUB reads and writes in place at boot (load_env / save_env) and we read and write here.
export const GRUBENV_SIZE = 1024;
const HEADER = "# GRUB Environment Block\n";

export type GrubEnv = Record<string, string>;

export function parseGrubEnv(text: string): GrubEnv {
  const env: GrubEnv = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.includes("=")) continue;
    const i = line.indexOf("=");
    // GRUB escapes backslashes and newlines in values with a backslash.
    env[line.slice(0, i)] = line.slice(i + 1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return env;
}

export function serializeGrubEnv(env: GrubEnv): string {
  const body = Object.entries(env)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`grubenv: bad variable name ${JSON.stringify(k)}`);
      return `${k}=${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`;
    })
    .join("");
  const text = HEADER + body;
  if (Buffer.byteLength(text) > GRUBENV_SIZE) throw new Error(`grubenv: ${Buffer.byteLength(text)} bytes do not fit in ${GRUBENV_SIZE}`);
  return text + "#".repeat(GRUBENV_SIZE - Buffer.byteLength(text));
}
