// `ros install -d DEVICE [-c FILE] [-a ARGS] [-f] [--no-reboot]`: install Corral to a disk.
import { Command } from "commander";

export function installCommand(): Command {
  return new Command("install")
    .description("install Corral to a disk from the medium this host booted from: GRUB (BIOS and UEFI), slot A, the state partition")
    .requiredOption("-d, --device <disk>", "the whole disk to erase and install to, like /dev/sda")
    .option("-c, --cloud-config <file>", "the cloud-config the installed host boots with (default: this host's own)")
    .option("-a, --append <args>", "extra kernel command line arguments for the installed host")
    .option("-f, --force", "do not ask before erasing the disk")
    .option("--no-reboot", "stay up after installing (default: reboot into the installed host)")
    .action(async (o: { device: string; cloudConfig?: string; append?: string; force?: boolean; reboot: boolean }) => (await import("./install-actions.ts")).installAction(o));
}
