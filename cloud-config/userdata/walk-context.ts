// The state one decode shares across every layer it walks: the results so far and the budgets
// (bytes, parts, includes, include time) that bound it as a whole.
import { diag } from "../diagnostics.ts";
import type { ByteBudget } from "./byte-budget.ts";
import type { DecodedUserData } from "./decode.ts";
import type { IncludeDeadline } from "./include-deadline.ts";

export interface Walk {
  readonly out: DecodedUserData;
  readonly maxBytes: number;
  readonly bytes: ByteBudget;
  partsLeft: number;
  includesLeft: number;
  readonly fetch: (url: string, signal: AbortSignal) => Promise<Buffer>;
  readonly deadline: IncludeDeadline;
}

/** The type a container declared for some bytes (a MIME part's Content-Type, an archive `type:`). */
export interface Declared {
  /** Lower-cased MIME type, e.g. "text/cloud-config". */
  type: string;
  /** Its parameters (boundary, charset), lower-cased names. */
  params: Record<string, string>;
}

/** Decodes one piece of user data into `w.out`; `depth` counts the containers around it. */
export type DecodeFn = (w: Walk, data: Buffer, source: string, depth: number, declared?: Declared) => Promise<void>;

export const warn = (w: Walk, file: string, line: number, col: number, message: string, hint: string) =>
  void w.out.diagnostics.push(diag("warning", file, line, col, message, hint));

export const fail = (w: Walk, file: string, line: number, col: number, message: string, hint: string) =>
  void w.out.diagnostics.push(diag("error", file, line, col, message, hint));
