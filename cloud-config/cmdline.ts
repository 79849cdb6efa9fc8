// The kernel command line: split like the kernel does (spaces, double quotes group), and read the
// config it carries: `rancher.a.b=<yaml>` and `cc.key=<yaml>` set keys of the merged config.
export function splitCmdline(cmdline: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let any = false;
  for (const ch of cmdline) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur += ch;
      any = true;
    }
  }
  if (any) out.push(cur);
  return out;
}

/** The value of the last `name=value` argument, or undefined. */
export function cmdlineValue(cmdline: string, name: string): string | undefined {
  let found: string | undefined;
  for (const arg of splitCmdline(cmdline)) if (arg.startsWith(`${name}=`)) found = arg.slice(name.length + 1);
  return found;
}
