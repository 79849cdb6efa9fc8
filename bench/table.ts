// The short table `npm run bench` ends with (dist/bench.md): what the README's bench section shows.
// Every cell comes from the report the run wrote; a measurement that did not run is "—".
type Section = Record<string, unknown> | undefined;

const s = (x: number | null | undefined, digits = 1) => (typeof x === "number" ? (x / 1000).toFixed(digits) + " s" : "—");
const mb = (bytes: unknown) => (typeof bytes === "number" ? `${(bytes / 2 ** 20).toFixed(1)} MB` : "—");
const x = (r: unknown) => (typeof r === "number" ? `${r}×` : "—");
const n = (v: unknown) => (v === null || v === undefined ? "—" : String(v));

export function benchTable(report: Record<string, unknown>): string {
  const get = (k: string) => report[k] as Section;
  const sizes = get("sizes") ?? {};
  const ratios = get("ratios") ?? {};
  const f1 = get("floor1")?.ready_ms as number | undefined;
  const f2 = get("floor2")?.ready_ms as number | undefined;
  const cd = get("corral_direct") ?? {};
  const ci = get("corral_iso") ?? {};
  const first = get("corral_state_first_boot") ?? {};
  const second = get("corral_state_second_boot") ?? {};
  const ram = get("min_ram");
  const loads = (r: Section) => {
    const l = r?.images_loaded as { system_docker: number | null; user_docker: number | null } | undefined;
    return l ? `${n(l.system_docker)} + ${n(l.user_docker)}` : "—";
  };
  const rss = (cd.node_rss_kb as { rss_kb: number; args: string }[] | undefined) ?? [];
  const rows: [string, string][] = [
    ["ISO / initrd", `${mb(sizes.iso_bytes)} / ${mb(sizes.initrd_bytes)}`],
    ["floor 1 (busybox initrd) / floor 2 (dockerd + a container) ready", `${s(f1)} / ${s(f2)}`],
    ["SSH ready, direct kernel boot", `${s(cd.ssh_ready_ms as number)} (${x(ratios.corral_direct_ssh_ready_over_floor1)} floor 1, ${x(ratios.corral_direct_ssh_ready_over_floor2)} floor 2)`],
    ["user-docker ready, direct kernel boot", `${s(cd.user_docker_ready_ms as number)} (${x(ratios.corral_direct_user_docker_ready_over_floor1)} floor 1, ${x(ratios.corral_direct_user_docker_ready_over_floor2)} floor 2)`],
    ["SSH ready, ISO through GRUB", `${s(ci.ssh_ready_ms as number)} (${x(ratios.corral_iso_ssh_ready_over_floor1)} floor 1, ${x(ratios.corral_iso_ssh_ready_over_floor2)} floor 2)`],
    ["user-docker ready, ISO through GRUB", `${s(ci.user_docker_ready_ms as number)} (${x(ratios.corral_iso_user_docker_ready_over_floor1)} floor 1, ${x(ratios.corral_iso_user_docker_ready_over_floor2)} floor 2)`],
    ["smallest RAM that boots and runs a user container", ram ? (ram.min_mb === null ? `over ${n((ram.probes as { mb: number }[])[0]?.mb)} MB` : `${n(ram.min_mb)} MB (steps of ${n(ram.step_mb)})`) : "—"],
    ["RAM used after boot (of 2048 MB)", cd.guest_mem_mb ? `${n((cd.guest_mem_mb as Record<string, number>).used)} MB` : "—"],
    ["RSS of the TS processes", rss.length ? rss.map((p) => `${Math.round(p.rss_kb / 1024)} MB ${nodeName(p.args)}`).join(", ") : "—"],
    ["images loaded at boot, system + user Docker: first / second boot", `${loads(first)} / ${loads(second)}`],
    ["store entries copied to the state disk: first / second boot", `${n(first.store_entries_copied)} / ${n(second.store_entries_copied)}`],
    ["`ros --version` / `ros config get` over `node -e 0`", `${x(ratios.ros_cli_over_node)} / ${x(ratios.ros_config_get_over_node)}`],
    ["validating a 1,000-line config", (() => {
      const v = get("ros_config_validate");
      return v ? `${n(v.median_ms)} ms (${n(v.lines_per_s)} lines/s)` : "—";
    })()],
  ];
  const meta = get("meta") ?? {};
  return [
    `Bench of ${n(meta.corral_version)} on ${n(meta.date)} (${n(meta.host_cpus)} host CPUs, QEMU TCG):`,
    "",
    "| measure | value |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
  ].join("\n");
}

/** `node /usr/lib/ros/ros.mjs agent-init` → `agent-init`: which process this is. */
function nodeName(args: string): string {
  const words = args.split(/\s+/).filter((w) => !w.startsWith("-"));
  const i = words.findIndex((w) => /ros(\.mjs)?$/.test(w));
  return i >= 0 ? (words.slice(i + 1).join(" ") || "ros") : words.slice(1).join(" ");
}
