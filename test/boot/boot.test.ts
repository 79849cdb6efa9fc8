// Boots dist/corral.iso in QEMU (BIOS from a CD and UEFI from the hybrid ISO as a disk, one after the
// other and cabled together as a two-host swarm), logs in over SSH with a key from the datasource
// disk, checks each host, and powers them off. The bonded LAN is booted by install.test.ts's live guest.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ARTIFACTS } from "../../build/image.ts";
import { version } from "../../build/bundle.ts";
import { REPO } from "../../build/cache.ts";
import { rootfsTar } from "../fixtures/busybox-image.ts";
import { Vm, freePort, makeSeed, type SeedKind } from "../../build/vm.ts";
import { offeredAuthMethods, ssh, type SshTarget } from "./ssh.ts";
import { BOOT_BUDGET_MS, bootUntilSsh, out, psRows, serialTail, timed, waitForServices } from "./guest.ts";

/** A compose-style services config no one here wrote for this test: read in place. */
const SERVICES_EXAMPLE = join(REPO, "../shared/examples/services.yml");
/** What the cloud-init and console services apply, checked by checkCloudInitInGuest. */
const CLOUD_INIT_KEYS = `write_files:
  - path: /etc/motd
    permissions: "0644"
    content: |
      corral-motd
  - path: /home/rancher/later.txt
    owner: rancher:rancher
    defer: true
    encoding: b64
    content: ${Buffer.from("deferred\n").toString("base64")}
bootcmd:
  - echo boot >> /var/log/bootcmd.log
runcmd:
  - [sh, -c, "echo run >> /var/log/runcmd.log"]
`;

/**
 * `mistakes` adds a typo'd key, an out-of-range value and a wrong type to the user data: the boot
 * must still reach SSH with the valid keys applied, and `ros config validate` in the guest must
 * point at each of their lines.
 */
const TOKEN_FILE = "/var/lib/rancher/conf/swarm-token";
/** The swarm parts of the pair's cloud-configs (under rancher:, after their eth0), as the README has them. */
const NODE1 = `      eth1: {dhcp: false, address: 10.88.0.1/24}
  agent:
    swarm: {init: true, advertise_addr: 10.88.0.1, listen_addr: "10.88.0.1:2377"}
  stacks:
    shop:
      compose:
        services:
          backend:
            image: local/web:1
            command: ["sh", "-c", "echo backend-$$(hostname) > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
            deploy: {placement: {constraints: ["node.role == manager"]}}
          web:
            image: local/web:1
            command: ["sh", "-c", "while :; do b=$$(wget -qO- http://backend/) && echo web-$$(hostname) $$b > /tmp/index.html; sleep 1; done & exec httpd -f -p 8090 -h /tmp"]
            ports: ["8090:8090"]
            deploy: {placement: {constraints: ["node.role == worker"]}}
`;
const NODE2 = `      eth1: {dhcp: false, address: 10.88.0.2/24}
  agent:
    swarm: {role: worker, join: ["10.88.0.1:2377"], token_file: ${TOKEN_FILE}, advertise_addr: 10.88.0.2}
`;

/** The swarm's worker join token, once node1's agent has made the swarm. */
const workerToken = (n1: SshTarget) =>
  until("node1 a swarm manager", async () => (await ssh(n1, "sudo docker swarm join-token -q worker")).stdout.trim().match(/^SWMTKN-\S+$/)?.[0], 120_000, async () => (await ssh(n1, "sudo ros agent status")).stdout);

/** An HTTP GET of port 8090 from the guest's own network namespace: the body's last line. */
const get = (t: SshTarget, addr: string) =>
  ssh(t, `timeout 5 bash -c 'exec 3<>/dev/tcp/${addr}/8090; printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3; tail -n 1 <&3'`);

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms: number, why: () => Promise<string>): Promise<T> {
  const start = Date.now();
  for (;; await new Promise((r) => setTimeout(r, 3000))) {
    const v = await f();
    if (v) {
      console.error(`# ${what}: after ${((Date.now() - start) / 1000).toFixed(0)} s`);
      return v;
    }
    if (Date.now() - start > ms) assert.fail(`${what} after ${ms / 1000} s: ${await why()}`);
  }
}

/**
 * What the test machine's kernel cannot do (it has neither IPVS nor ESP; test/integration/stacks.test.ts
 * runs the rest on namespaced hosts): the worker has joined with the token in its token_file;
 * node1's first manager has deployed rancher.stacks; web, on the worker, fetches http://backend/ (on
 * node1) by name over the stack's encrypted overlay; node1's published port answers from web (the
 * routing mesh); and ESP security associations carry the overlay between the two hosts.
 */
async function checkStack(node1: Guest, node2: Guest): Promise<void> {
  const [n1, n2] = [node1.target, node2.target];
  // No registry: the image goes onto each host (node1's services check imported it already).
  const tar = await rootfsTar();
  for (const n of [n1, n2]) await out(n, "sudo docker image inspect local/web:1 >/dev/null 2>&1 || sudo docker import - local/web:1", tar);
  await until("node2 in the swarm", async () => /^corral-uefi Ready$/m.test((await ssh(n1, "sudo docker node ls --format '{{.Hostname}} {{.Status}}'")).stdout), 120_000, async () => (await ssh(n2, "sudo ros agent status")).stdout);
  const status = await until("rancher.stacks deployed", async () => {
    const s = (await ssh(n1, "sudo ros agent status")).stdout;
    return /^stack: +shop: deployed/m.test(s) && s;
  }, 120_000, async () => (await ssh(n1, "sudo ros agent status")).stdout);
  assert.doesNotMatch(status, /error/, status);
  assert.match(await out(n1, "sudo docker network inspect shop_default --format '{{.Driver}} {{json .Options}}'"), /^overlay .*"encrypted":""/);

  const page = await until("web's page through node1's published port", async () => {
    const body = (await get(n1, "10.88.0.1")).stdout.trim();
    return /^web-[0-9a-f]{12} backend-[0-9a-f]{12}$/.test(body) && body;
  }, 240_000, async () => `${(await ssh(n1, "sudo ros stack ps shop")).stdout}${(await get(n1, "10.88.0.1")).stderr}`);
  const [web, backend] = page.split(" ").map((w) => w.replace(/^\w+-/, ""));
  assert.match(await out(n1, "sudo docker ps --format '{{.ID}}'"), new RegExp(`^${backend}`, "m"), "the backend runs on node1");
  assert.match(await out(n2, "sudo docker ps --format '{{.ID}}'"), new RegExp(`^${web}`, "m"), "web runs on node2");
  assert.equal((await get(n2, "10.88.0.2")).stdout.trim().split(" ")[0], `web-${web}`, "node2's own published port");

  const xfrm = await out(n1, "sudo ip -s xfrm state");
  assert.match(xfrm, /src 10\.88\.0\.2 dst 10\.88\.0\.1\s+proto esp/, xfrm);
  assert.match(xfrm, /src 10\.88\.0\.1 dst 10\.88\.0\.2\s+proto esp/, xfrm);
  assert.ok([...xfrm.matchAll(/(\d+)\(bytes\)/g)].some((m) => Number(m[1]) > 0), `no bytes through the ESP states:\n${xfrm}`);
}

/** A guest of the pair: how it boots, and what it checks. */
interface GuestSpec { kind: SeedKind; uefi: boolean; isoAs: "cdrom" | "disk"; hostname: string; mistakes?: boolean; withServices?: boolean; link: { listen?: number; connect?: number; mac: string }; swarm: string; files?: string }
interface Guest { spec: GuestSpec; dir: string; vm: Vm; target: SshTarget }

/**
 * `mistakes` adds a typo'd key, an out-of-range value and a wrong type to the user data: the boot
 * must still reach SSH with the valid keys applied, and `ros config validate` in the guest must
 * point at each of their lines. Every guest of the pair has eth1 on the wire and its swarm config.
 */
async function bootGuest(g: GuestSpec): Promise<Guest> {
  const dir = mkdtempSync(join(tmpdir(), `corral-boot-${g.kind}-`));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const pub = readFileSync(`${key}.pub`, "utf8").trim();
  const extra = g.mistakes
    ? `hostnme: typo\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: -5\n        dhcp: sometimes\n${g.swarm}`
    : g.withServices ? CLOUD_INIT_KEYS + readFileSync(SERVICES_EXAMPLE, "utf8").replace(/^#cloud-config\n/, "") + `  network:\n    interfaces:\n      eth0: {dhcp: true}\n${g.swarm}` : "";
  const seed = await makeSeed(dir, g.kind, `#cloud-config\nhostname: ${g.hostname}\nssh_authorized_keys:\n  - ${pub}\n${extra}${g.files ?? ""}`);
  const port = await freePort();
  const { vm, target } = await bootUntilSsh({ iso: ARTIFACTS.iso, isoAs: g.isoAs, seed, sshPort: port, uefi: g.uefi, link: g.link, serial: join(dir, "serial.log") }, key, BOOT_BUDGET_MS);
  return { spec: g, dir, vm, target };
}

async function checkGuest({ spec, dir, target }: Guest): Promise<void> {
  const ver = await ssh(target, "ros --version");
  assert.equal(ver.code, 0, ver.stderr);
  assert.equal(ver.stdout.trim(), version());

  assert.equal((await ssh(target, "hostname")).stdout.trim(), spec.hostname);

  const id = await ssh(target, "id");
  assert.match(id.stdout, /\(sudo\)/, `rancher is not in the sudo group: ${id.stdout}`);

  const ps = await ssh(target, "sudo system-docker ps --format '{{.Names}} {{.Image}}'");
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^console corral\/os-console:/m);

  const h = spec.hostname;
  if (spec.mistakes) await timed(`${h}: ros config`, checkConfigInGuest(target, h));
  if (spec.withServices) {
    await timed(`${h}: services on both Dockers`, checkServicesInGuest(target));
    await timed(`${h}: cloud-init, network, journal`, checkCloudInitInGuest(target));
    await timed(`${h}: ros analyze boot`, checkBootAnalysis(target));
    await timed(`${h}: host API`, checkApiInGuest(target));
  }

  const methods = await offeredAuthMethods(target);
  assert.deepEqual(methods, ["publickey"], "the server must offer key logins only");

  const wrongKey = join(dir, "other");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey]);
  assert.notEqual((await ssh({ ...target, key: wrongKey }, "true")).code, 0, "a key not in the cloud-config must be refused");
}

/** BIOS: poweroff from inside; UEFI: the ACPI power button, through acpid and the ordered stop. */
async function powerOff({ spec, vm, target }: Guest): Promise<void> {
  if (spec.uefi) {
    await waitForServices(target, ["acpid"]);
    await vm.pressPowerButton();
  } else await ssh(target, "sudo poweroff");
  assert.equal(await vm.waitForExit(90_000), 0, `${spec.uefi ? "the power button" : "poweroff"} must end QEMU cleanly`);
}

/** A guest's step, timed; its failure comes with the guest's console. */
const named = <T>(g: Guest, what: string, p: Promise<T>): Promise<T> => timed(`${g.spec.hostname}: ${what}`, p.catch((e: Error) => {
  throw new Error(`${g.spec.hostname}: ${e.message}\n${serialTail(g.vm)}`);
}));

/**
 * The BIOS guest boots and runs its checks, then the UEFI guest boots cabled to it on eth1 (one at
 * a time: two guests under TCG at once are each three times slower). Each has the swarm part of a
 * cloud-config from the README: the BIOS one inits the swarm and deploys rancher.stacks; the UEFI
 * one joins as a worker, with the token the BIOS one gives written by write_files. Then the pair
 * checks the stack (checkStack), and each powers off its own way.
 */
async function bootPair(): Promise<void> {
  assert.ok(existsSync(ARTIFACTS.iso), `${ARTIFACTS.iso} is missing: run npm run build:image`);
  const wire = await freePort();
  const guests: Guest[] = [];
  try {
    await bootPairOn(wire, guests);
  } finally {
    // A failure leaves a guest running: it must not starve the next test's.
    for (const g of guests) g.vm.kill();
  }
}

async function bootPairOn(wire: number, guests: Guest[]): Promise<void> {
  const bios = await bootGuest({ kind: "nocloud", uefi: false, isoAs: "cdrom", hostname: "corral-bios", withServices: existsSync(SERVICES_EXAMPLE), link: { listen: wire, mac: "52:54:00:88:00:01" }, swarm: NODE1 });
  guests.push(bios);
  await named(bios, "checks", checkGuest(bios));
  const token = await named(bios, "swarm made", workerToken(bios.target));
  const uefi = await bootGuest({ kind: "configdrive", uefi: true, isoAs: "disk", hostname: "corral-uefi", mistakes: true, link: { connect: wire, mac: "52:54:00:88:00:02" }, swarm: NODE2, files: `write_files:\n  - {path: ${TOKEN_FILE}, permissions: "0600", content: "${token}\\n"}\n` });
  guests.push(uefi);
  await named(uefi, "checks", checkGuest(uefi));
  await named(bios, "the stack across both", checkStack(bios, uefi));
  await Promise.all([named(bios, "power off", powerOff(bios)), named(uefi, "power off", powerOff(uefi))]);
}

async function checkConfigInGuest(target: SshTarget, hostname: string): Promise<void> {
  const v = await ssh(target, "sudo ros config validate -i /var/lib/rancher/conf/cloud-config.d/boot.yml");
  assert.equal(v.code, 1, `validate must fail on the user data: ${v.stdout}${v.stderr}`);
  assert.match(v.stderr, /boot\.yml:5:1: unknown key `hostnme` \(did you mean `hostname`\?/);
  assert.match(v.stderr, /boot\.yml:10:14: `rancher\.network\.interfaces\.eth0\.mtu` must be an MTU from 68 to 65535, not -5/);
  assert.match(v.stderr, /boot\.yml:11:15: `rancher\.network\.interfaces\.eth0\.dhcp` must be true or false, not "sometimes"/);
  assert.equal((await ssh(target, "sudo ros config get hostname")).stdout.trim(), hostname);
  const set = await ssh(target, "sudo ros config set rancher.network.dns.nameservers '[10.0.2.3]' && sudo ros config get rancher.network.dns.nameservers -o json");
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout), ["10.0.2.3"]);
  const full = await ssh(target, "sudo ros config get rancher.services.console.image");
  assert.match(full.stdout, /^corral\/os-console:/, "the image defaults are a layer of the config the console sees");
}

/**
 * The issue-5 services in the booted ISO: cloud-init's host part (services.yml's sysctl and module)
 * and its console part (write_files with owner and defer, bootcmd and runcmd once each), the
 * network service's DHCP and resolv.conf, and the journal holding a container's output and a
 * syslog line sent with logger.
 */
async function checkCloudInitInGuest(target: SshTarget): Promise<void> {
  const out = async (cmd: string) => {
    const r = await ssh(target, cmd);
    assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  assert.equal((await out("cat /proc/sys/vm/max_map_count")).trim(), "262144");
  assert.equal((await out("test -d /sys/module/nbd && echo loaded")).trim(), "loaded");
  assert.equal(await out("cat /etc/motd"), "corral-motd\n");
  assert.equal(await out("stat -c '%U %a' /home/rancher/later.txt && cat /home/rancher/later.txt"), "rancher 644\ndeferred\n");
  assert.equal(await out("cat /var/log/bootcmd.log /var/log/runcmd.log"), "boot\nrun\n");
  const report = JSON.parse(await out("sudo cat /run/ros/cloud-init.json")) as unknown;
  assert.ok(JSON.stringify(report).includes("runcmd"), `the cloud-init report names runcmd: ${JSON.stringify(report)}`);
  assert.match(await out("ip -4 -o addr show eth0"), /inet 10\.0\.2\.15\//);
  assert.match(await out("cat /etc/resolv.conf"), /^nameserver 10\.0\.2\.3$/m);
  await out("logger -t corral-boot-test syslog-line-from-the-guest");
  const until = Date.now() + 60_000;
  for (;;) {
    const logs = await out("sudo ros logs -o json -n 2000");
    const units = logs.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { unit: string; message: string });
    const syslog = units.some((r) => r.unit === "corral-boot-test" && r.message.includes("syslog-line-from-the-guest"));
    const container = units.some((r) => r.unit === "migrate" && r.message.includes("migrated"));
    if (syslog && container) break;
    if (Date.now() > until) assert.fail(`the journal lacks the syslog line (${syslog}) or migrate's output (${container})`);
    await new Promise((r) => setTimeout(r, 3000));
  }
  await checkSysctlOnChange(out);
}

/** rancher.sysctl and rancher.modules on change: `ros config set`, then cloud-init run again applies them. */
async function checkSysctlOnChange(out: (cmd: string) => Promise<string>): Promise<void> {
  // tg3: shipped in the initrd as a driver, not loaded (this VM has no Broadcom NIC).
  assert.equal((await out("test -d /sys/module/tg3 || echo absent")).trim(), "absent");
  await out("sudo ros config set rancher.sysctl.vm.max_map_count 262200 && sudo ros config set rancher.modules '[nbd, tg3]' && sudo ros service restart cloud-init");
  const until = Date.now() + 90_000;
  for (;;) {
    const now = (await out("cat /proc/sys/vm/max_map_count; test -d /sys/module/tg3 && echo tg3 || true")).trim();
    if (now === "262200\ntg3") break;
    if (Date.now() > until) assert.fail(`after ros config set and a cloud-init restart: ${JSON.stringify(now)}; cloud-init: ${await out("sudo ros service logs cloud-init")}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/**
 * The host API as the agent serves it in the guest: `ros api` from the console reaches its socket,
 * a shell over its WebSocket (node-pty, shipped in the image) runs as rancher and returns its code;
 * a user container sees neither the API's socket nor the system Docker's.
 */
async function checkApiInGuest(target: SshTarget): Promise<void> {
  const v = await ssh(target, "sudo ros api request /os/version");
  assert.equal(v.code, 0, v.stderr);
  assert.equal((JSON.parse(v.stdout) as { version: string }).version, version());
  const sh = await ssh(target, `printf 'echo api-$(id -un)-$((6*7))\\nexit 7\\n' | sudo ros api shell`);
  assert.equal(sh.code, 7, `${sh.stdout}${sh.stderr}`);
  assert.match(sh.stdout, /api-rancher-42/);
  assert.match((await ssh(target, "sudo ros logs -u agent -n 50")).stdout, /unix GET \/os\/version 200/);
  const inside = await ssh(target, "sudo docker run --rm local/web:1 sh -c 'ls /var/run; test -e /var/run/corral.sock || test -e /var/run/system-docker.sock || echo neither'");
  assert.equal(inside.code, 0, inside.stderr);
  assert.match(inside.stdout, /^neither$/m, `a user container sees a system socket: ${inside.stdout}`);
}

/** ros analyze boot, once the services are up: the kernel, init's stages in order, the services, SSH and the user Docker ready; and its SVG. */
async function checkBootAnalysis(target: SshTarget): Promise<void> {
  const text = await ssh(target, "sudo ros analyze boot");
  assert.equal(text.code, 0, text.stderr);
  for (const line of [/^kernel \+ initramfs +0\.00 s → +\d+\.\d\d s/m, /^mounts +\d/m, /^system-docker +\d/m, /^services +\d/m, /^service console .* healthy$/m, /^service docker .* healthy$/m, /^service cloud-init .* exited 0$/m, /^ssh ready +at \d+\.\d\d s$/m, /^user-docker ready +at \d+\.\d\d s$/m]) assert.match(text.stdout, line);
  const json = await ssh(target, "sudo ros analyze boot -o json --svg /tmp/boot.svg");
  assert.equal(json.code, 0, json.stderr);
  const rows = (JSON.parse(json.stdout) as { rows: { what: string; start: number; end: number; kind: string }[] }).rows;
  const stages = rows.filter((r) => r.kind === "stage");
  assert.ok(rows[0]!.end > 1, `init starts after the kernel: ${rows[0]!.end}`);
  assert.ok(stages.every((s, i) => s.end >= s.start && (i === 0 || s.start >= stages[i - 1]!.end)), `stages in order: ${JSON.stringify(stages)}`);
  const svg = await ssh(target, "cat /tmp/boot.svg");
  assert.equal([...svg.stdout.matchAll(/<rect /g)].length, rows.filter((r) => r.kind !== "milestone").length);
}

/**
 * ../shared/examples/services.yml in the booted ISO: the catalog's container-cron and the user
 * Docker come up healthy; web (user-docker) and migrate (system-docker) wait for images no
 * registry can give, which are then imported over SSH; `ros service up` starts them and web
 * answers on its published port.
 */
async function checkServicesInGuest(target: SshTarget): Promise<void> {
  let rows = await waitForServices(target, ["network", "console", "journal", "ntp", "acpid", "docker", "container-cron"]);
  const state = (name: string) => rows.find((r) => r.name === name);
  assert.equal(state("docker")?.scope, "system");
  assert.equal(state("web")?.scope, "user");
  assert.equal(state("web")?.state, "not created");
  const tar = await rootfsTar();
  const webCmd = `CMD ["sh", "-c", "echo corral-web > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]`;
  const importWeb = await ssh(target, `sudo docker import --change '${webCmd}' - local/web:1`, undefined, tar);
  assert.equal(importWeb.code, 0, importWeb.stderr);
  const importTools = await ssh(target, "sudo system-docker import - local/tools:1", undefined, tar);
  assert.equal(importTools.code, 0, importTools.stderr);
  const up = await ssh(target, "sudo ros service up web migrate");
  assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);
  assert.match(up.stdout, /^web: started$/m);
  assert.match(up.stdout, /^migrate: done$/m);
  rows = await psRows(target);
  assert.equal(state("web")?.state, "running");
  assert.equal(state("migrate")?.state, "done");
  assert.match((await ssh(target, "sudo ros service logs migrate")).stdout, /migrated/);
  const get = await ssh(target, `bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3'`);
  assert.match(get.stdout, /corral-web/, `web did not answer on 8080: ${get.stdout}${get.stderr}`);
}

describe("boot", { timeout: 5 * BOOT_BUDGET_MS }, () => {
  test("two hosts on one wire: BIOS from CD with a NoCloud disk holding ../shared/examples/services.yml (SSH as rancher, ros, hostname, system-docker, services on both Dockers, poweroff) and UEFI from the ISO as a disk with a config drive holding a typo and a wrong type (the same checks, ros config, the power button); their agents form a swarm, and the stack from rancher.stacks runs across both over the encrypted overlay and the routing mesh", bootPair);
});
