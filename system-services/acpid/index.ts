// `ros acpid-init`, the acpid service's entry: the power-button rule written, the kernel modules that
// report the button loaded, then acpid in the foreground with signals passed on and its exit code
// as ours.
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { atomicWrite } from "../../os/atomic-write.ts";
import { run } from "../../os/exec.ts";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { powerButtonRule, RULE_FILE } from "./power-button.ts";

/** button: the ACPI power button's driver; evdev: the /dev/input/event* device acpid reads it from. */
const MODULES = ["button", "evdev"];
const FORWARDED = ["SIGTERM", "SIGINT"] as const;
/** In the container's own /run: written at every start. */
const eventsDir = () => join(paths.run, "acpi/events");
/** acpid writes no PID file in the foreground; service.yml's health check reads this one. */
const pidFile = () => join(paths.run, "acpid.pid");

async function loadModules(): Promise<void> {
  const missing = MODULES.filter((m) => !existsSync(join(paths.sys, "module", m)));
  if (missing.length === 0) return;
  // Built into the kernel, or not in /lib/modules: acpid still hears what the kernel reports.
  await run("modprobe", ["-a", ...missing]).catch((e: Error) => log("acpid", `modules ${missing.join(", ")} not loaded: ${e.message}`));
}

export async function acpidInit(): Promise<void> {
  await loadModules();
  atomicWrite(join(eventsDir(), RULE_FILE), powerButtonRule());
  // -d: its log on stderr, the service's log (there is no syslog); -l: each event in it; -S: no
  // client socket (nothing here listens to acpid, and the image has no /var/run for one).
  const args = ["-f", "-d", "-l", "-S", "-c", eventsDir()];
  log("acpid", `acpid ${args.join(" ")}`);
  const child = spawn("acpid", args, { stdio: "inherit" });
  if (child.pid) atomicWrite(pidFile(), `${child.pid}\n`);
  for (const s of FORWARDED) process.on(s, () => child.kill(s));
  child.on("error", (e) => {
    log("acpid", `acpid: ${e.message}`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    rmSync(pidFile(), { force: true });
    log("acpid", `acpid exited (${signal ?? code})`);
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}
