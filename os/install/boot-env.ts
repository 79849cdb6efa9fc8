// GRUB's environment on the installed disk's ESP, found by its label: read for ros os list, and
// changed in place (as GRUB's own save_env does, so the file keeps its blocks) by upgrade, rollback
// and the boot that commits or notes a fallback.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec.ts";
import { parseGrubEnv, serializeGrubEnv, type GrubEnv } from "./grubenv.ts";
import { GRUB_DIR, LABELS } from "./layout.ts";
import { withMount } from "./mount.ts";

export const byLabel = (label: string) => run("findfs", [`LABEL=${label}`]).then((r) => r.stdout.trim() || undefined, () => undefined);

const envFile = (esp: string) => join(esp, GRUB_DIR, "grubenv");

async function esp(): Promise<string> {
  const d = await byLabel(LABELS.efi);
  if (!d) throw new Error(`no partition labelled ${LABELS.efi}: this host is not installed on a disk (ros install)`);
  return d;
}

const readEnvIn = (esp: string): GrubEnv => (existsSync(envFile(esp)) ? parseGrubEnv(readFileSync(envFile(esp), "utf8")) : {});

export async function readBootEnv(): Promise<GrubEnv> {
  const d = await byLabel(LABELS.efi);
  return d ? withMount(d, "efi-ro", readEnvIn, { readOnly: true }) : {};
}

/** Applies `change` to the environment and writes it back. */
export async function updateBootEnv(change: (env: GrubEnv) => GrubEnv): Promise<void> {
  await withMount(await esp(), "efi", (dir) => {
    const f = envFile(dir);
    const next = serializeGrubEnv(change(readEnvIn(dir)));
    const fd = openSync(f, existsSync(f) ? "r+" : "w");
    try {
      writeSync(fd, next, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}
