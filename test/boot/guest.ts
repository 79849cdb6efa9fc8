// Boots a guest until its SSH login answers. Under TCG (FACTS.md), a guest now and then stalls with
// every vCPU in a kernel soft lockup and never recovers; that is the emulator, not the image, so such
// a boot is killed and started once more. A second stall, or any other failure, fails the test.
import assert from "node:assert/strict";
import { after } from "node:test";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { freePort, Vm, type VmOptions } from "../../build/vm.ts";
import { ssh, waitForSsh, type SshTarget } from "./ssh.ts";

/** How long a guest may take to boot to SSH under TCG, with room for a loaded host. */
export const BOOT_BUDGET_MS = 6 * 60_000;

const STALL = /watchdog: BUG: soft lockup - CPU#\d+ stuck/;

/**
 * Every guest a test file started: none may outlive its tests (one that reboots never exits). The
 * hook is the file's own, registered when this module loads: an `after` called from inside a test,
 * after awaits, is not reliably run.
 */
const started = new Set<Vm>();
after(() => {
  for (const vm of started) vm.kill();
});

export function startVm(opts: VmOptions): Vm {
  const vm = new Vm(opts);
  started.add(vm);
  return vm;
}

/** The serial console's tail, for an error message. */
export function serialTail(vm: Vm): string {
  return `--- serial console (${vm.opts.serial}) ---\n${vm.serialLog().slice(-4000)}`;
}

export async function bootUntilSsh(opts: VmOptions, key: string, budgetMs: number): Promise<{ vm: Vm; target: SshTarget }> {
  const target: SshTarget = { port: opts.sshPort, key };
  for (let attempt = 1; ; attempt++) {
    const vm = startVm(opts);
    const stalled = () => attempt === 1 && STALL.test(vm.serialLog());
    try {
      await waitForSsh(target, budgetMs, () => vm.exited === undefined && !stalled());
      // What a boot took under this run's load: the suite's budget is spent mostly here.
      console.error(`# ${opts.serial}: SSH answered ${((Date.now() - vm.started) / 1000).toFixed(0)} s after QEMU started`);
      return { vm, target };
    } catch (e) {
      if (!stalled()) throw new Error(`${(e as Error).message}\n${serialTail(vm)}`);
      vm.kill();
      await vm.waitForExit();
      renameSync(opts.serial, `${opts.serial}.stalled`);
      console.error(`# ${opts.serial}: the guest's kernel reported a soft lockup before SSH answered (a TCG stall); booting it once more (first log: ${opts.serial}.stalled)`);
    }
  }
}

/** Boots until SSH answers, runs `check`, and powers off from inside; `check` may reboot the guest. */
export async function boot(o: Omit<VmOptions, "sshPort" | "serial">, dir: string, name: string, key: string, check: (t: SshTarget, vm: Vm) => Promise<void>): Promise<void> {
  const port = await freePort();
  const { vm, target: t } = await bootUntilSsh({ ...o, sshPort: port, serial: join(dir, `${name}.log`) }, key, BOOT_BUDGET_MS).catch((e: Error) => {
    throw new Error(`${name}: ${e.message}`);
  });
  await checkThenPowerOff(vm, t, name, check);
}

/** Runs `check` on a booted guest and powers it off from inside; a failure kills it, with its console. */
export async function checkThenPowerOff(vm: Vm, t: SshTarget, name: string, check: (t: SshTarget, vm: Vm) => Promise<void>): Promise<void> {
  try {
    await check(t, vm);
    if (vm.exited !== undefined) return;
    await ssh(t, "sudo poweroff");
    assert.equal(await vm.waitForExit(90_000), 0, "poweroff must end QEMU cleanly");
  } catch (e) {
    // Left running, a failed guest would starve the next test's.
    vm.kill();
    throw new Error(`${name}: ${(e as Error).message}\n${serialTail(vm)}`);
  }
}

const SERVICES_BUDGET_MS = 5 * 60_000;

export interface PsRow { name: string; scope: string; state: string; health: string; detail?: string }

export async function psRows(target: SshTarget): Promise<PsRow[]> {
  const r = await ssh(target, "sudo ros service ps -o json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as PsRow[];
}

/** Waits until `ros service ps` shows each of `healthy` running and healthy, and cloud-init done. */
export async function waitForServices(target: SshTarget, healthy: string[]): Promise<PsRow[]> {
  const until = Date.now() + SERVICES_BUDGET_MS;
  for (;;) {
    const rows = await psRows(target);
    const state = (name: string) => rows.find((r) => r.name === name);
    if (healthy.every((n) => state(n)?.state === "running" && state(n)?.health === "healthy") && state("cloud-init")?.state === "done") return rows;
    if (Date.now() > until) assert.fail(`system services not all healthy within ${SERVICES_BUDGET_MS / 1000} s: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

/** Awaits `p`, saying how long it took: where a boot test spends the suite's budget. */
export async function timed<T>(what: string, p: Promise<T>): Promise<T> {
  const start = Date.now();
  const v = await p;
  console.error(`# ${what}: ${((Date.now() - start) / 1000).toFixed(0)} s`);
  return v;
}

/** A command that must succeed in the guest: its stdout. */
export async function out(t: SshTarget, cmd: string, input?: string): Promise<string> {
  const r = await ssh(t, cmd, undefined, input);
  assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A version or text made safe to put in a RegExp. */
export const esc = (s: string) => s.replace(/[.+()]/g, "\\$&");
