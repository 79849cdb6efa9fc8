// Keys that cloud-init or RancherOS know and Corral reads but does not act on: a warning that says
// why, never an "unknown key" error. `at` is where the keys live ("" is the top level).
const PACKAGES = "Corral has no package manager: run software in containers (rancher.services)";
const CONFIG_MGMT = "run the configuration-management agent as a container (rancher.services)";
const PASSWORDS = "password logins are disabled on Corral: use ssh_authorized_keys";
const CLOUD_INIT_INTERNAL = "cloud-init's own module settings do not apply to Corral";
const SSH_HOST = "Corral manages SSH host keys itself (rancher.ssh.keys)";
const DISKS = "partition and format disks with rancher.state or a bootcmd";
const NOT_HERE = "this cloud-init module has no counterpart on Corral";
const NETWORK = "cloud-init's network config (version 1 or 2) is not read: configure the network in rancher.network";

function table(groups: [string, string[]][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [why, keys] of groups) for (const k of keys) out[k] = why;
  return out;
}

export const IGNORED: { at: string; keys: Record<string, string> }[] = [
  {
    at: "",
    keys: table([
      [PACKAGES, ["packages", "package_update", "package_upgrade", "package_reboot_if_required", "apt", "apt_pipelining", "apt_update", "apt_upgrade", "apt_reboot_if_required", "apk_repos", "snap", "yum_repos", "yum_repo_dir", "zypper", "drivers", "ubuntu_advantage", "ubuntu_pro", "rh_subscription", "spacewalk", "updates"]],
      [CONFIG_MGMT, ["chef", "puppet", "salt_minion", "ansible", "mcollective", "landscape"]],
      [PASSWORDS, ["password", "chpasswd", "ssh_pwauth"]],
      [SSH_HOST, ["ssh_keys", "ssh_genkeytypes", "ssh_deletekeys", "ssh_quiet_keygen", "ssh_publish_hostkeys", "ssh", "no_ssh_fingerprints", "authkey_hash", "ssh_fp_console_blacklist", "ssh_key_console_blacklist", "allow_public_ssh_keys", "disable_root", "disable_root_opts", "ssh_import_id"]],
      [NETWORK, ["network"]],
      [DISKS, ["disk_setup", "fs_setup", "device_aliases", "resize_rootfs", "swap"]],
      [CLOUD_INIT_INTERNAL, ["cloud_init_modules", "cloud_config_modules", "cloud_final_modules", "merge_how", "merge_type", "system_info", "vendor_data", "output", "reporting", "launch-index", "version", "migrate", "final_message", "phone_home", "create_hostname_file", "preserve_hostname", "prefer_fqdn_over_hostname", "manage_etc_hosts", "user", "groups", "disable_ec2_metadata"]],
      [NOT_HERE, ["ca_certs", "ca-certs", "keyboard", "locale", "locale_configfile", "lxd", "fan", "byobu_by_default", "random_seed", "rsyslog", "wireguard", "grub_dpkg", "grub-dpkg", "autoinstall", "rpi"]],
    ]),
  },
  {
    at: "users[]",
    keys: table([
      ["importing keys needs a key server; list them in ssh_authorized_keys", ["ssh_import_id"]],
      ["this user setting has no effect on Corral", ["ssh_redirect_user", "selinux_user", "expiredate", "inactive", "snapuser", "doas", "lock-passwd", "create_groups"]],
    ]),
  },
  { at: "write_files[]", keys: table([["fetching file content from a URL is not supported; put it in content:", ["source"]]]) },
  {
    at: "rancher",
    keys: table([
      [PASSWORDS, ["password"]],
      ["Corral always keeps its boot log (ros logs)", ["log"]],
      ["Corral has no separate bootstrap Docker", ["bootstrap", "bootstrap_docker", "bootstrap_containers"]],
      ["Corral's root file system is always the initrd", ["rm_usr", "no_sharedroot", "resize_device", "autoformat"]],
      ["this RancherOS setting has no counterpart on Corral", ["force_console_rebuild", "hypervisor_service", "preload_wait", "defaults", "disable", "registry_auths", "default_network"]],
    ]),
  },
  { at: "ntp", keys: table([["Corral renders chrony's configuration itself", ["config"]]]) },
];
