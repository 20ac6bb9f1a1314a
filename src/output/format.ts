// Shared shape of every formatter's result, and the pieces of text mon and json share.
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { CountRange } from "../rules/types.js";
import { escapeText } from "./escape.js";

export interface Formatted {
  readonly text: string;
  readonly exitCode: number;
}

/** "1-5", "1-", "-3", "0-0": the range as the operator wrote it. */
export function formatRange(range: CountRange): string {
  return `${range.min ?? ""}-${range.max ?? ""}`;
}

/** The summary token of a rule that did not hold: "sshd:0", "sshd,user=root:3", "x:unknown". */
export function summaryToken(v: RuleVerdict): string {
  return `${escapeText(v.rule.label, { space: true })}:${v.state === "unknown" ? "unknown" : v.count}`;
}

/** "sshd:0 < 1 (1-)" / "cron:6 > 5 (1-5)" / "x:1 unknown, 3 undecided (1-1)" */
export function verdictLine(v: RuleVerdict): string {
  const name = escapeText(v.rule.label, { space: true });
  const range = `(${formatRange(v.rule.range)})`;
  if (v.state === "unknown") {
    const undecided = v.undecided === Infinity ? "an unknown number of" : String(v.undecided);
    return `${name}:${v.count} unknown: ${undecided} more processes could not be checked ${range}`;
  }
  const min = v.rule.range.min ?? 0;
  if (v.count < min) return `${name}:${v.count} < ${min} ${range}`;
  if (v.rule.range.max !== undefined && v.count > v.rule.range.max) return `${name}:${v.count} > ${v.rule.range.max} ${range}`;
  // Only reachable when undecided processes alone make the minimum impossible.
  return `${name}:${v.count} ${range}`;
}
