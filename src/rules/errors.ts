// RuleError: a bad rule, with the offending token and where it stands. Never thrown for /proc data.
import type { RuleSource } from "./types.js";

export class RuleError extends Error {
  constructor(
    /** The whole argument or value as written. */
    readonly token: string,
    /** What is wrong, as a short clause. */
    readonly reason: string,
    readonly source: RuleSource,
  ) {
    super(`${describeSource(source)}: "${token}": ${reason}`);
    this.name = "RuleError";
  }
}

export function describeSource(source: RuleSource): string {
  return source.file === "argv" ? `argument ${source.line}` : `${source.file}:${source.line}:${source.column}`;
}
