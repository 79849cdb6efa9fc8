// Boots a guest until its SSH login answers. Under TCG (FACTS.md), a guest now and then stalls with
// every vCPU in a kernel soft lockup and never recovers; that is the emulator, not the image, so such
// a boot is killed and started once more. A second stall, or any other failure, fails the test.
import { after } from "node:test";
import { renameSync } from "node:fs";
import { Vm, type VmOptions } from "../../build/vm.ts";
import { waitForSsh, type SshTarget } from "./ssh.ts";

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
