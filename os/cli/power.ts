// `ros poweroff|reboot|halt [-f]`. Without -f, PID 1 is asked with busybox's signal and stops the
// services in order before the kernel goes down; it is reachable from the console and acpid, which
// share the host's PID namespace. With -f the kernel is told at once (busybox syncs, then reboot(2)).
import { run } from "../exec.ts";
import { SHUTDOWN_SIGNALS, type PowerAction } from "../init/shutdown.ts";
import { fail, say } from "./output.ts";

/** PID 1, or the stand-in ROS_INIT_PID names: for tests only, which cannot signal the real one. */
function initPid(): number {
  const v = process.env.ROS_INIT_PID;
  if (v === undefined) return 1;
  if (!/^[1-9]\d*$/.test(v)) fail([`ROS_INIT_PID=${v} is not a process ID (it is for tests; unset it)`]);
  return Number(v);
}

export async function power(action: PowerAction, o: { force?: boolean }): Promise<void> {
  if (process.getuid?.() !== 0) fail([`ros ${action}: only root can ${action} the host (run: sudo ros ${action})`]);
  if (o.force) {
    say(`${action}: now, without stopping the services`);
    await run("busybox", [action, "-f"]).catch((e: Error) => fail([`ros ${action} -f: ${e.message}`]));
    return;
  }
  const pid = initPid();
  const signal = SHUTDOWN_SIGNALS[action];
  try {
    process.kill(pid, signal);
  } catch (e) {
    fail([`ros ${action}: cannot signal PID ${pid} (${(e as NodeJS.ErrnoException).code}); run it where the host's processes are seen (the console), or use -f to act at once`]);
  }
  say(`${action}: asked PID ${pid} (${signal}); the services stop in order first`);
}
