// `npm start`: boots dist/corral.iso in QEMU with a cloud-config disk made on the fly and the serial
// console in this terminal. `npm start -- my-cloud-config.yml` boots with your own user data instead.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ARTIFACTS } from "./image.ts";
import { cacheDir } from "./cache.ts";
import { Vm, freePort, makeSeed } from "./vm.ts";

/** The user's own public keys, or a key made for this checkout (so a fresh machine can log in too). */
function loginKey(): { pubs: string[]; identity: string } {
  const dir = join(homedir(), ".ssh");
  const own = existsSync(dir) ? readdirSync(dir).filter((f) => /^id_\w+\.pub$/.test(f)) : [];
  const identity = join(cacheDir("start"), "id_ed25519");
  if (!existsSync(identity)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "corral-npm-start", "-f", identity]);
  return { pubs: [...own.map((f) => readFileSync(join(dir, f), "utf8").trim()), readFileSync(`${identity}.pub`, "utf8").trim()], identity };
}

function defaultCloudConfig(pubs: string[]): string {
  return ["#cloud-config", "hostname: corral", "ssh_authorized_keys:", ...pubs.map((k) => `  - ${k}`), "rancher:", "  autologin: [ttyS0]", ""].join("\n");
}

if (!existsSync(ARTIFACTS.iso)) {
  console.error(`${ARTIFACTS.iso} is missing: run npm run build:image`);
  process.exit(1);
}
const userFile = process.argv[2];
const { pubs, identity } = loginKey();
const userData = userFile ? readFileSync(userFile, "utf8") : defaultCloudConfig(pubs);
const seed = await makeSeed(cacheDir("start"), "nocloud", userData);
const port = await freePort();
console.log(`Booting ${ARTIFACTS.iso} (QEMU, software emulation: allow a few minutes).`);
console.log(`  SSH:  ssh -i ${identity} -p ${port} rancher@localhost${userFile ? "  (with a key from your cloud-config)" : ""}`);
console.log("  Quit: Ctrl-A then X (or `sudo poweroff` inside).\n");
const vm = new Vm({ iso: ARTIFACTS.iso, isoAs: "disk", seed, sshPort: port, serial: "stdio" });
process.exitCode = (await vm.waitForExit()) ?? 1;
