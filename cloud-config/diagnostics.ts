// One finding about a config file, always placed at a line and column of the user's own text, so
// every error reads `FILE:LINE:COL: what is wrong (hint)`.
export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

export function diag(severity: Severity, file: string, line: number, col: number, message: string, hint?: string): Diagnostic {
  return hint === undefined ? { severity, file, line, col, message } : { severity, file, line, col, message, hint };
}

export function formatDiagnostic(d: Diagnostic): string {
  const what = d.severity === "warning" ? `warning: ${d.message}` : d.message;
  return `${d.file}:${d.line}:${d.col}: ${what}${d.hint ? ` (${d.hint})` : ""}`;
}

export const errorsIn = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === "error");
