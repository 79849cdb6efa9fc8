// The kernel command line: split like the kernel does (spaces, double quotes group), and read the
// config it carries: `rancher.a.b=<yaml>` and `cc.key=<yaml>` set keys of the merged config.
import { parse } from "yaml";
import { splitKey } from "./keypath.ts";
import type { Path, Position } from "./parse.ts";
import { setPath, type Tree } from "./tree.ts";
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

/** `rancher.a.b=<yaml>` and `cc.key=<yaml>` as a config layer, each key placed at its argument's column. */
export function configFromCmdline(cmdline: string): { value: Tree; locate: (path: Path) => Position; errors: { col: number; message: string }[] } {
  const value: Tree = {};
  const placed: { path: Path; col: number }[] = [];
  const errors: { col: number; message: string }[] = [];
  let from = 0;
  for (const arg of splitCmdline(cmdline)) {
    const col = cmdline.indexOf(arg.split("=", 1)[0]!, from) + 1;
    from = Math.max(from, col);
    const m = /^(rancher|cc)\.([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) continue;
    const [, ns, key, text] = m;
    let path: Path;
    let v: unknown = true;
    try {
      path = splitKey(ns === "rancher" ? `rancher.${key}` : key!);
      if (text !== undefined) v = text === "" ? "" : parse(text, { version: "1.1", maxAliasCount: 10 });
    } catch (e) {
      errors.push({ col, message: `${arg}: ${(e as Error).message.split("\n")[0]}` });
      continue;
    }
    setPath(value, path, v);
    placed.push({ path, col });
  }
  const locate = (path: Path): Position => {
    let best = { len: -1, col: 1 };
    for (const p of placed) {
      let n = 0;
      while (n < p.path.length && n < path.length && p.path[n] === path[n]) n++;
      if (n > best.len) best = { len: n, col: p.col };
    }
    return { line: 1, col: best.col };
  };
  return { value, locate, errors };
}
