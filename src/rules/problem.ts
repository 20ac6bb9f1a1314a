// A problem with what procwatch was asked to do — a rule, a configuration value, an environment
// variable, a flag — as a value: made where it is found, with its place and the offending token,
// and turned into text once per output (output/problems.ts). Never for /proc data.
import type { RuleSource } from "./types.js";

/** What kind of input is wrong: a rule, the configuration file, a value's bound (size, count),
 * an OTEL_* variable, a command-line flag, or a setting that names something unknown (a user). */
export type ProblemCode = "rule" | "config" | "limit" | "environment" | "option" | "setting";

/**
 * Where: a file's line and column; `file: "argv"` for a rule argument (line = its position among
 * the rules); "environment" for a variable; "options" for the command line's flags.
 */
export type ProblemPlace = RuleSource;

export interface Problem extends ProblemPlace {
  readonly code: ProblemCode;
  /** The offending key, token or value as written; "" when the problem has none. */
  readonly token: string;
  /** What is wrong, as a short clause. */
  readonly reason: string;
}

/** The command line's flags as a whole: no file, no line. */
export const AT_OPTIONS: ProblemPlace = { file: "options", line: 1, column: 1 };

/** A problem with the command line's flags or the settings they made (an unknown user...). */
export function optionProblem(reason: string, code: ProblemCode = "option"): Problem {
  return { ...AT_OPTIONS, code, token: "", reason };
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "code" in value && "reason" in value && "file" in value;
}
