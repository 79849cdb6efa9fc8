// `ros volume snapshot|backup|restore`: a local volume's data as a checksummed tar archive, and back.
import { Command } from "commander";

const actions = () => import("./volume-actions.ts");

export function volumeCommand(): Command {
  const cmd = new Command("volume").description("local volumes of the user Docker: snapshots, backups and restores with checksums");
  cmd.command("snapshot").description("archive a volume into this node's snapshot folder (/var/lib/rancher/volumes/NAME)").argument("<name>").action(async (name: string) => (await actions()).snapshot(name));
  cmd
    .command("backup")
    .description("archive a volume to a file, or PUT it to an HTTP(S) URL (an S3 presigned URL works); NAME.sha256 goes beside it")
    .argument("<name>")
    .requiredOption("--to <path-or-url>", "where the archive goes")
    .action(async (name: string, o: { to: string }) => (await actions()).backup(name, o.to));
  cmd
    .command("restore")
    .description("replace an unused volume's data with an archive whose checksum matches (what it held is snapshotted first)")
    .argument("<name>")
    .requiredOption("--from <path-or-url>", "a snapshot, a backup file, or a URL")
    .action(async (name: string, o: { from: string }) => (await actions()).restore(name, o.from));
  return cmd;
}
