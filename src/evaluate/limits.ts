// Pure: rss=, fds=, threads= and age= of a rule, judged on each process the rule matched. A
// process outside a bound fails the rule and is named with its figure; one whose figure could not
// be read makes the rule unknown, never a silent pass. restarts= needs history: the daemon judges
// it (see restartsVerdict), a one-shot check never does.
import type { ProcessRecord } from "../procfs/types.js";
import { Field, type FieldMask } from "../procfs/types.js";
import { formatDuration } from "../rules/duration.js";
import { formatBytes } from "../rules/limits.js";
import type { CountRange, ProcessLimits } from "../rules/types.js";
import type { RuleState } from "./verdict.js";

export interface LimitsContext {
  /** Milliseconds since the process started, or undefined when the clock facts are missing. */
  readonly ageMs: (rec: ProcessRecord) => number | undefined;
}

export interface LimitsVerdict {
  readonly state: RuleState;
  /** Matched processes outside a bound, with what is wrong ("rss 600 MiB > 512 MiB"). */
  readonly violations: readonly { readonly process: ProcessRecord; readonly reason: string }[];
  /** Matched processes whose figure could not be read, with why. */
  readonly unknowns: readonly { readonly process: ProcessRecord; readonly why: string }[];
  /** With age=: each matched process's age in ms (undefined when unknown), in match order. */
  readonly agesMs?: readonly (number | undefined)[];
}

/** The fields a matched process must have read for these limits. */
export function limitsFieldsNeeded(limits: ProcessLimits): FieldMask {
  return (limits.rssBytes === undefined ? 0 : Field.status) | (limits.fds === undefined ? 0 : Field.fds);
}

/** Whether age= needs clock facts (CLK_TCK and the time since boot). */
export function limitsNeedClock(limits: ProcessLimits | undefined): boolean {
  return limits?.ageMs !== undefined;
}

export function evaluateLimits(limits: ProcessLimits, matches: readonly ProcessRecord[], ctx: LimitsContext): LimitsVerdict {
  const violations: { process: ProcessRecord; reason: string }[] = [];
  const unknowns: { process: ProcessRecord; why: string }[] = [];
  for (const p of matches) {
    const problems: string[] = [];
    const whys: string[] = [];
    const judge = (range: CountRange | undefined, value: number | string | undefined, what: string, show: (n: number) => string, showBound = show): void => {
      if (range === undefined) return;
      if (typeof value !== "number") {
        whys.push(`${what} unreadable${value === undefined ? "" : ` (${value})`}`);
        return;
      }
      const out = outside(range, value, show, showBound);
      if (out !== undefined) problems.push(`${what} ${out}`);
    };
    if (limits.rssBytes !== undefined) {
      // A process without VmRSS (a zombie leader) holds no memory of its own: 0.
      const statusRead = (p.readMask & Field.status) !== 0 && (p.unknownMask & Field.status) === 0;
      const rss = statusRead ? (p.rssKib ?? 0) * 1024 : p.unknownWhy?.status ?? "status unread";
      judge(limits.rssBytes, rss, "rss", formatBytes);
    }
    if (limits.fds !== undefined) {
      const fds = p.fds;
      if (fds === undefined) judge(limits.fds, p.unknownWhy?.fds ?? "unread", "open fds", String);
      else if (limits.fds.unit === "count") judge(limits.fds, fds.open, "open fds", String);
      // "percent", not "%": the reason is escaped like any process-derived text, and '%' is the
      // escape character (it would read "87.5%25").
      else if (fds.softLimit !== undefined) judge(limits.fds, (fds.open * 100) / fds.softLimit, `open fds ${fds.open} of ${fds.softLimit} =`, (n) => `${Number(n.toFixed(1))} percent`);
    }
    judge(limits.threads, p.threads, "threads", String);
    if (limits.ageMs !== undefined) judge(limits.ageMs, ctx.ageMs(p) ?? "no clock", "up", formatAge, formatDuration);
    if (problems.length > 0) violations.push({ process: p, reason: problems.join(", ") });
    else if (whys.length > 0) unknowns.push({ process: p, why: whys.join(", ") });
  }
  const state: RuleState = violations.length > 0 ? "fail" : unknowns.length > 0 ? "unknown" : "ok";
  return { state, violations, unknowns, ...(limits.ageMs === undefined ? {} : { agesMs: matches.map((p) => ctx.ageMs(p)) }) };
}

/** "600 MiB > 512 MiB", or undefined inside the range. */
function outside(range: CountRange, value: number, show: (n: number) => string, showBound: (n: number) => string): string | undefined {
  if (range.max !== undefined && value > range.max) return `${show(value)} > ${showBound(range.max)}`;
  if (range.min !== undefined && value < range.min) return `${show(value)} < ${showBound(range.min)}`;
  return undefined;
}

/** Whole seconds, as durations are written: "42s", "9m", "3h". */
function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return formatDuration(Math.floor(s / 86_400) * 86_400_000);
}
