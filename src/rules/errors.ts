// RuleError: a bad rule thrown while parsing it, carrying its Problem (the offending token and
// where it stands). Caught by the rule list and the config loader, which keep the Problem.
import type { Problem } from "./problem.js";
import type { RuleSource } from "./types.js";

export class RuleError extends Error {
  readonly problem: Problem;

  constructor(
    /** The whole argument or value as written. */
    readonly token: string,
    /** What is wrong, as a short clause. */
    readonly reason: string,
    readonly source: RuleSource,
  ) {
    super(`${describeSource(source)}: "${token}": ${reason}`);
    this.name = "RuleError";
    this.problem = { code: "rule", file: source.file, line: source.line, column: source.column, token, reason };
  }
}

export function describeSource(source: RuleSource): string {
  return source.file === "argv" ? `argument ${source.line}` : `${source.file}:${source.line}:${source.column}`;
}
