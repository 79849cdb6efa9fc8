// What every `ros` command prints and how it gives up: errors on stderr and exit 1; and the one way
// a command changes cloud-config.yml (refused, with the reasons, when the change would add an error).
import { formatDiagnostic } from "../../cloud-config/diagnostics.ts";
import { ConfigEditError, setValues } from "../../cloud-config/edit.ts";
import { paths } from "../paths.ts";

export const fail = (lines: string[]): never => {
  for (const l of lines) process.stderr.write(`${l}\n`);
  process.exit(1);
};
export const say = (line: string) => process.stdout.write(`${line}\n`);
export const warn = (m: string) => process.stderr.write(`ros: warning: ${m}\n`);

/** Sets (or, with undefined, removes) keys in cloud-config.yml; `command` names who refuses. */
export function editConfig(command: string, changes: [string[], unknown][]): void {
  try {
    const errors = setValues(paths.cloudConfig, changes);
    if (errors.length) fail([`${command}: refused, nothing was changed:`, ...errors.map(formatDiagnostic)]);
  } catch (e) {
    if (e instanceof ConfigEditError) fail([e.message]);
    throw e;
  }
}
