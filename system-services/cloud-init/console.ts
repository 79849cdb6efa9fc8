// The part of cloud-config applied in the console container, where users log in (RancherOS ran it
// there too). In cloud-init's order: "init", before sshd starts, runs bootcmd (every boot), the
// write_files not deferred, then users; "final", once sshd is up, the deferred write_files, then
// runcmd and the user-data script (once per instance).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readMetadata } from "../../cloud-config/metadata-file.ts";
import type { CloudConfig, WriteFile } from "../../cloud-config/schema/index.ts";
import { paths } from "../../os/paths.ts";
import { runCommand, runCommands } from "./commands.ts";
import { writeLocalFile } from "./local-files.ts";
import { markBoot, markInstance, NO_INSTANCE, ranForInstance, ranThisBoot } from "./markers.ts";
import { Reporter, type Action } from "./report.ts";
import { applyUser, sudoLines, SUDOERS_FILE, userSpec, writeSudoers } from "./users.ts";

export type ConsoleStage = "init" | "final";
export interface ConsoleOptions {
  /** Who `users: [default]` is: the user the console itself creates. */
  defaultUser: string;
}

async function writeFiles(files: WriteFile[], report: Reporter): Promise<void> {
  for (const f of files) await report.step(`write_files ${f.path}`, () => writeLocalFile(f));
}

async function applyUsers(config: CloudConfig, report: Reporter, o: ConsoleOptions): Promise<void> {
  const rules: string[] = [];
  for (const entry of config.users ?? []) {
    const u = userSpec(entry, o.defaultUser);
    let lines: string[] = [];
    const ok = await report.step(`user ${u.name}`, async () => {
      lines = sudoLines(u);
      await applyUser(u);
    });
    if (ok) rules.push(...lines);
  }
  if (rules.length || existsSync(join(paths.sudoersD, SUDOERS_FILE))) await report.step(`sudo ${SUDOERS_FILE}`, () => writeSudoers(rules));
}

async function init(config: CloudConfig, report: Reporter, o: ConsoleOptions, env: NodeJS.ProcessEnv): Promise<void> {
  if (config.bootcmd?.length) {
    if (ranThisBoot("bootcmd")) report.skip("bootcmd", "already ran this boot");
    else {
      await runCommands("bootcmd", config.bootcmd, report, env);
      markBoot("bootcmd");
    }
  }
  await writeFiles((config.write_files ?? []).filter((f) => !f.container && !f.defer), report);
  await applyUsers(config, report, o);
}

async function final(config: CloudConfig, report: Reporter, env: NodeJS.ProcessEnv): Promise<void> {
  await writeFiles((config.write_files ?? []).filter((f) => !f.container && f.defer), report);
  const iid = env.INSTANCE_ID;
  if (config.runcmd?.length) {
    if (ranForInstance(iid, "runcmd")) report.skip("runcmd", `already ran for instance ${iid}`);
    else {
      await runCommands("runcmd", config.runcmd, report, env);
      markInstance(iid, "runcmd");
    }
  }
  if (existsSync(paths.cloudConfigScript)) {
    if (ranForInstance(iid, "script")) report.skip("script", `already ran for instance ${iid}`);
    else {
      await report.step(`script ${paths.cloudConfigScript}`, () => runCommand([paths.cloudConfigScript], env));
      markInstance(iid, "script");
    }
  }
}

/** Applies one stage; never throws (each failure is in the report). Returns what was done. */
export async function applyInConsole(config: CloudConfig, stage: ConsoleStage, o: ConsoleOptions): Promise<Action[]> {
  const report = new Reporter(stage === "init" ? "console-init" : "console-final");
  // Commands see the instance id, as cloud-init's bootcmd does.
  const env = { INSTANCE_ID: readMetadata().instanceId?.trim() || NO_INSTANCE };
  try {
    if (stage === "init") await init(config, report, o, env);
    else await final(config, report, env);
  } catch (e) {
    // Markers and the like: the stage stops, the console does not.
    report.actions.push({ what: stage, ok: false, error: (e as Error).message });
  }
  report.finish();
  return report.actions;
}
