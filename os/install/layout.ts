// The disk an installed host boots from (GPT): GRUB for BIOS and UEFI, two OS slots (A/B: the
// running one and the one an upgrade writes), and the state partition that holds what persists.
export const MiB = 1024 * 1024;

const BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649";
const ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

export type Slot = "A" | "B";
export const SLOTS: readonly Slot[] = ["A", "B"];
export const otherSlot = (s: Slot): Slot => (s === "A" ? "B" : "A");

export interface PartitionPlan { index: number; name: string; type: string; sizeMiB?: number; fs?: "vfat" | "ext4"; label?: string }

/** Filesystem labels: GRUB and init find the partitions by these, whatever the disk is called. */
export const SLOT_LABEL_PREFIX = "CORRAL_";
export const LABELS = { efi: "CORRAL_EFI", slot: (s: Slot) => `${SLOT_LABEL_PREFIX}${s}`, state: "RANCHER_STATE" } as const;

/** GRUB's folder on the ESP (modules, grub.cfg, grubenv), shared by its BIOS and UEFI halves. */
export const GRUB_DIR = "boot/grub";

export const SLOT_MiB = 512;
const STATE_MIN_MiB = 256;

export const PARTITIONS: readonly PartitionPlan[] = [
  // Where GRUB's BIOS core image lives on a GPT disk.
  { index: 1, name: "BIOS", type: BIOS_BOOT, sizeMiB: 1 },
  // GRUB's EFI binary, its modules, grub.cfg and grubenv (the boot-once flags of an upgrade).
  { index: 2, name: "EFI", type: ESP, sizeMiB: 64, fs: "vfat", label: LABELS.efi },
  { index: 3, name: LABELS.slot("A"), type: LINUX, sizeMiB: SLOT_MiB, fs: "ext4", label: LABELS.slot("A") },
  { index: 4, name: LABELS.slot("B"), type: LINUX, sizeMiB: SLOT_MiB, fs: "ext4", label: LABELS.slot("B") },
  { index: 5, name: LABELS.state, type: LINUX, fs: "ext4", label: LABELS.state },
];

/** GPT's first MiB (alignment) and its backup table at the end. */
const OVERHEAD_MiB = 2;
export const MIN_DISK_BYTES = (PARTITIONS.reduce((n, p) => n + (p.sizeMiB ?? 0), 0) + STATE_MIN_MiB + OVERHEAD_MiB) * MiB;

/** The script sfdisk reads to lay the disk out; the last partition takes the rest. */
export function sfdiskScript(): string {
  const lines = PARTITIONS.map((p) => [...(p.sizeMiB ? [`size=${p.sizeMiB}MiB`] : []), `type=${p.type}`, `name="${p.name}"`].join(", "));
  return `label: gpt\n${lines.join("\n")}\n`;
}

/** The device node of a disk's Nth partition: /dev/vda3, but /dev/nvme0n1p3 and /dev/mmcblk0p3. */
export function partitionDevice(disk: string, index: number): string {
  return /\d$/.test(disk) ? `${disk}p${index}` : `${disk}${index}`;
}

export const partition = (disk: string, name: string) => {
  const p = PARTITIONS.find((x) => x.name === name);
  if (!p) throw new Error(`no partition ${name} in the layout`);
  return partitionDevice(disk, p.index);
};
