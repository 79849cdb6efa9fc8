// acpid's rule for the ACPI power button: a clean shutdown through PID 1, the way `ros poweroff`
// asks for one. The event is "button/power PBTN …" from the input layer, or "button/power
// LNXPWRBN:00 …" from netlink; both match.
export const RULE_FILE = "power-button";

/** `ros`: the command the action runs (the image's own by default). */
export function powerButtonRule(ros = "/usr/bin/ros"): string {
  return ["# Written by ros acpid-init: the power button powers the host off cleanly.", "event=button/power.*", `action=${ros} poweroff`, ""].join("\n");
}
