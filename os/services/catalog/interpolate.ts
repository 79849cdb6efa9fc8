// `${VAR}` and `$VAR` in a definition's string values, from rancher.environment and VERSION; `$$`
// is a literal `$`. It works on the parsed values, not the text, so a value can never inject YAML
// and every problem keeps the position of the original file.
import type { Path } from "../../../cloud-config/parse.ts";
import { isMapValue } from "../../../cloud-config/tree.ts";

export interface VariableProblem { path: Path; message: string; hint: string }

const REFERENCE = /\$(?:(\$)|\{([^}]*)(\})?|([A-Za-z_][A-Za-z0-9_]*))/g;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function expand(s: string, env: Record<string, string>, path: Path, problems: VariableProblem[]): string {
  return s.replace(REFERENCE, (all, dollar?: string, braced?: string, closed?: string, bare?: string) => {
    if (dollar) return "$";
    const name = bare ?? braced!;
    if (bare === undefined && (!closed || !VARIABLE.test(name))) {
      problems.push({ path, message: `\`${all}\` is not a variable reference`, hint: "write ${NAME} or $NAME, and $$ for a literal $" });
      return all;
    }
    if (!Object.hasOwn(env, name)) {
      problems.push({ path, message: `unknown variable \`${name}\``, hint: "define it in rancher.environment, or write $$ for a literal $" });
      return all;
    }
    return env[name]!;
  });
}

/** The value with every string expanded (map keys stay as written), and what could not be. */
export function interpolate(value: unknown, env: Record<string, string>): { value: unknown; problems: VariableProblem[] } {
  const problems: VariableProblem[] = [];
  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === "string") return expand(v, env, path, problems);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (isMapValue(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { value: walk(value, []), problems };
}
