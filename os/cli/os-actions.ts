// What `ros os …` does and prints.
import { loadConfig } from "../../cloud-config/load.ts";
import { readSlots } from "../install/slots.ts";
import { Transfer } from "../progress.ts";
import { ImageRejected } from "../upgrade/receive.ts";
import { describeRecord, readRecord } from "../upgrade/record.ts";
import { parsePublicKey } from "../upgrade/release.ts";
import { SourceError } from "../upgrade/source.ts";
import { rollback, upgrade } from "../upgrade/upgrade.ts";
import { VERSION } from "../version.ts";
import { fail, say } from "./output.ts";
import { power } from "./power.ts";

export function version(): void {
  say(VERSION);
}

const rootOnly = (what: string) => {
  if (process.getuid?.() !== 0) fail([`ros os ${what}: only root can read and write the boot partitions (run: sudo ros os ${what})`]);
};

export async function list(o: { output: string }): Promise<void> {
  rootOnly("list");
  const view = await readSlots();
  const next = view.env.next_slot || view.env.default_slot;
  const rows = view.slots.map((s) => ({
    slot: s.slot,
    version: s.release?.version ?? null,
    written: s.release?.written ?? null,
    running: view.running === s.slot,
    default: view.env.default_slot === s.slot,
    next: next === s.slot,
  }));
  const last = readRecord();
  if (o.output === "json") {
    say(JSON.stringify({ running: view.running ?? null, grub: view.env, slots: rows, lastUpgrade: last ?? null }, null, 2));
    return;
  }
  if (!view.slots.some((s) => s.device)) {
    say(`Corral ${VERSION} is running from RAM: no installed disk (ros install -d DISK installs one)`);
    return;
  }
  for (const r of rows) {
    const marks = [r.running && "running", r.default && "default", r.next && (view.env.next_slot === r.slot ? "next boot (once)" : "next boot")].filter(Boolean).join(", ");
    say(`${r.slot}  ${(r.version ?? "(empty)").padEnd(16)} ${marks}`);
  }
  if (last) say(`last upgrade: ${describeRecord(last)}`);
}

/** Refusals (bad image, bad source, no installed disk) say so; anything else is a failure to retry. */
const failWith = (what: string, e: unknown): never =>
  fail([e instanceof ImageRejected || e instanceof SourceError ? `ros os ${what}: ${(e as Error).message}; the running slot is untouched` : `ros os ${what}: failed, the running slot is untouched: ${(e as Error).message}`]);

export async function upgradeAction(o: { image?: string; force?: boolean; reboot: boolean }): Promise<void> {
  rootOnly("upgrade");
  const { config } = loadConfig();
  const image = o.image ?? config.rancher?.upgrade?.url;
  if (!image) fail(["ros os upgrade: which image? give -i FILE_OR_URL, or set rancher.upgrade.url"]);
  let publicKey;
  const keyText = config.rancher?.upgrade?.public_key;
  try {
    publicKey = keyText ? parsePublicKey(keyText) : undefined;
  } catch (e) {
    fail([`ros os upgrade: rancher.upgrade.public_key is not a usable key: ${(e as Error).message} (give an ed25519 public key in PEM; nothing was written)`]);
  }
  let bar: Transfer | undefined;
  try {
    const r = await upgrade({ image: image!, force: o.force, publicKey, onBytes: (n, total) => (bar ??= new Transfer("download", total)).update(n) });
    bar?.finish();
    say(`ros os upgrade: Corral ${r.release.version} is in slot ${r.slot}${publicKey ? " (signature verified)" : ""}; it boots once on the next reboot, and stays only if it comes up healthy`);
  } catch (e) {
    bar?.finish();
    failWith("upgrade", e);
  }
  if (o.reboot) await power("reboot", {});
}

export async function rollbackAction(o: { reboot: boolean }): Promise<void> {
  rootOnly("rollback");
  try {
    const r = await rollback();
    say(`ros os rollback: slot ${r.slot} (Corral ${r.version}) boots from now on`);
  } catch (e) {
    failWith("rollback", e);
  }
  if (o.reboot) await power("reboot", {});
}
