// Shared shape of every formatter's result, and the pieces of text mon, nagios and json share.
import type { CpuBasis } from "../rules/types.js";
import type { ProbeVerdict } from "../evaluate/probe.js";
import type { RunawayReport } from "../evaluate/runaway.js";
import type { SecurityReport } from "../evaluate/security.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { ProcessRecord } from "../procfs/types.js";
import type { CountRange } from "../rules/types.js";
import { type NameLookup, formatProcessLine } from "./describe.js";
import { cpuPhrase } from "./cpu.js";
import { escapeBytes, escapeText } from "./escape.js";
import { limitsPhrase, matchLines } from "./limits.js";
import { portLines } from "./ports.js";

export type OutputFormat = "mon" | "json" | "nagios";

export interface Formatted {
  readonly text: string;
  readonly exitCode: number;
  /** Diagnostics for a person (validate's problems) go to stderr; answers for mon or Nagios to stdout. */
  readonly stream?: "stderr";
}

/** What a check found, for the formatters. */
export interface CheckOutcome {
  readonly verdicts: readonly RuleVerdict[];
  /** Present when --cpu-max was given. */
  readonly runaway?: RunawayReport;
  /** How CPU figures were measured, when any were. */
  readonly cpuBasis?: CpuBasis;
  /** Present when --security was given. */
  readonly security?: SecurityReport;
  /** One per probe rule, in rule order; absent without probes. */
  readonly probes?: readonly ProbeVerdict[];
}

/** "1-5", "1-", "-3", "0-0": the range as the operator wrote it. */
export function formatRange(range: CountRange): string {
  return `${range.min ?? ""}-${range.max ?? ""}`;
}

/** The summary token of a rule that did not hold: "sshd:0", "sshd,user=root:3", "x:unknown". */
export function summaryToken(v: RuleVerdict): string {
  return `${escapeText(v.rule.label, { space: true })}:${v.state === "unknown" ? "unknown" : v.count}`;
}

/** The verdict lines of a rule that did not hold: its count, and its cpu= condition if that failed. */
export function ruleLines(v: RuleVerdict, basis: CpuBasis | undefined): string[] {
  const lines: string[] = [];
  if (v.countState !== "ok") lines.push(verdictLine(v));
  if (v.cpu !== undefined && v.cpu.state !== "ok") lines.push(`${escapeText(v.rule.label, { space: true })}:${v.count} ${cpuPhrase(v, basis)}`);
  const limits = limitsPhrase(v);
  if (limits !== "") lines.push(`${escapeText(v.rule.label, { space: true })}:${v.count} ${limits}`);
  return lines;
}

/** "sshd:0 < 1 (1-)" / "cron:6 > 5 (1-5)" / "x:1 unknown, 3 undecided (1-1)" */
export function verdictLine(v: RuleVerdict): string {
  const name = escapeText(v.rule.label, { space: true });
  const range = `(${formatRange(v.rule.range)})`;
  if (v.countState === "unknown") {
    const undecided = v.undecided === Infinity ? "an unknown number of" : String(v.undecided);
    return `${name}:${v.count} unknown: ${undecided} more processes could not be checked ${range}`;
  }
  const min = v.rule.range.min ?? 0;
  if (v.count < min) return `${name}:${v.count} < ${min} ${range}`;
  if (v.rule.range.max !== undefined && v.count > v.rule.range.max) return `${name}:${v.count} > ${v.rule.range.max} ${range}`;
  // Only reachable when undecided processes alone make the minimum impossible.
  return `${name}:${v.count} ${range}`;
}

/**
 * The indented detail lines of one rule (matches, undecided, near misses), at most `limit` and
 * then "... and N more"; for a listen= rule first who else holds its port (at most `limit`).
 * mon and Nagios long output use the same lines.
 */
export function detailLines(v: RuleVerdict, names: NameLookup, limit: number): string[] {
  const ports = portLines(v, names, limit);
  const line = (p: ProcessRecord): string => formatProcessLine(p, names);
  // Processes outside rss=/fds=/threads=/age= first: they are why the rule failed.
  const entries: string[] = matchLines(v, names);
  for (const u of v.unknowns) entries.push(`  undecided: ${line(u.process)}: ${escapeBytes(u.why)}`);
  if (v.hiddenWhy !== undefined) entries.push(`  undecided: ${escapeBytes(v.hiddenWhy)}`);
  for (const n of v.nearMisses) entries.push(`  near miss: ${line(n.process)}: ${escapeBytes(n.reason)}`);
  if (entries.length <= limit) return [...ports, ...entries];
  return [...ports, ...entries.slice(0, limit), `  ... and ${entries.length - limit} more`];
}
