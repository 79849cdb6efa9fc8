#!/usr/bin/env bash
# Installs what is missing on a fresh Debian 12 machine (Debian packages, npm deps), then, with
# --image, builds the image if it is stale (the build itself is cached by content).
set -euo pipefail
cd "$(dirname "$0")/.."

# The host tools the build and the boot need; the guest's packages are fetched by the build.
# docker.io: the integration tests run their own dockerd; chrony, acpid: the ntp and power tests run theirs.
# dhcpcd-base, dnsmasq-base, iproute2, iputils-ping: the network test's client, DHCP server and probes.
# sudo: the cloud-init test checks sudo rules with its visudo; openssh-server: the console's sshd test.
# systemd: the journal test forwards to a real systemd-journald, as a development host would run.
# make, g++, python3: npm builds node-pty (the host API's shell) from source.
PACKAGES=(docker.io qemu-system-x86 qemu-utils grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf
  cpio kmod lz4 zstd dosfstools openssh-client ca-certificates
  chrony acpid dhcpcd-base dnsmasq-base iproute2 iputils-ping
  sudo openssh-server systemd make g++ python3)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--image" ]; then
  npx tsx build/image.ts
fi
