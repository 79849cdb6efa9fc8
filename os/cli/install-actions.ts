// What `ros install` does around the install itself: root only, the question before erasing, a
// refusal printed as such (nothing written), and the reboot into the installed host.
import { createInterface } from "node:readline/promises";
import { install } from "../install/install.ts";
import { InstallRefused } from "../install/target-disk.ts";
import { fail, say } from "./output.ts";
import { power } from "./power.ts";

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function installAction(o: { device: string; cloudConfig?: string; append?: string; force?: boolean; reboot: boolean }): Promise<void> {
  if (process.getuid?.() !== 0) fail(["ros install: only root can install (run: sudo ros install …)"]);
  // Without a terminal to ask on, only -f may erase a disk.
  const refuse = async (): Promise<boolean> => {
    throw new InstallRefused("refusing to erase a disk without asking; run it on a terminal, or add -f");
  };
  const confirm = o.force ? async () => true : process.stdin.isTTY ? ask : refuse;
  try {
    await install({ device: o.device, cloudConfig: o.cloudConfig, kernelArgs: o.append, confirm });
  } catch (e) {
    // A tool that failed halfway (sfdisk, mkfs, grub-install) says why; the disk is then unusable
    // until installed again, which the message says.
    fail([e instanceof InstallRefused ? `ros install: ${e.message}` : `ros install: failed, run it again: ${(e as Error).message}`]);
  }
  say(`ros install: Corral is installed on ${o.device}`);
  if (o.reboot) await power("reboot", {});
}
