// Pure: rules + snapshot → one verdict per rule. No I/O, no clock.
// A rule is ok when every possible answer for the undecidable processes keeps the count in
// range, failed when none does, and unknown otherwise: never a silent pass or fail.
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import type { CountRange, CountRule, ProcessLimits } from "../rules/types.js";
import type { CpuFigures } from "./cpu.js";
import { evaluateLimits, type LimitsContext, type LimitsVerdict } from "./limits.js";
import { type MatchContext, matchRule } from "./match.js";
import { type ListenReport, listenReport } from "./ports.js";
import { indexRules } from "./rule-index.js";

export type RuleState = "ok" | "fail" | "unknown";

export interface RuleVerdict {
  readonly rule: CountRule;
  /** The whole verdict: the count and, when the rule has one, the cpu= condition. */
  readonly state: RuleState;
  /** The count alone against the rule's range. */
  readonly countState: RuleState;
  /** Processes that definitely count. */
  readonly count: number;
  /** Processes that may count but could not be decided (Infinity: some are invisible). */
  readonly undecided: number;
  readonly matches: readonly ProcessRecord[];
  readonly nearMisses: readonly { readonly process: ProcessRecord; readonly reason: string }[];
  readonly unknowns: readonly { readonly process: ProcessRecord; readonly why: string }[];
  /** Why processes outside the list are undecided too (hidepid, unreadable entries). */
  readonly hiddenWhy?: string;
  /**
   * The same count judged against the rule's warn= range (Nagios WARNING), with the same
   * ok/fail/unknown logic; absent when the rule has no warn=. Never changes `state`.
   */
  readonly warnState?: RuleState;
  /** The cpu= condition, when the rule has one. `state` above already includes it. */
  readonly cpu?: CpuVerdict;
  /** For a listen= rule: the sockets listening on its port, whoever holds them. */
  readonly listen?: ListenReport;
  /** rss=, fds=, threads=, age= on the matched processes, when the rule has any. `state` above
   * already includes it. */
  readonly limits?: LimitsVerdict;
}

export interface CpuVerdict {
  /** Total CPU percentage of the matched processes that have a figure. */
  readonly percent: number;
  /** Matched processes without a figure (first seen in this window): the total may be higher. */
  readonly unmeasured: number;
  readonly state: RuleState;
}

export function evaluateRules(rules: readonly CountRule[], snapshot: Snapshot, ctx: MatchContext, figures?: CpuFigures, limitsCtx?: LimitsContext): RuleVerdict[] {
  const hidden = hiddenProcesses(snapshot);
  const found = rules.map(() => ({
    matches: [] as ProcessRecord[],
    nearMisses: [] as { process: ProcessRecord; reason: string }[],
    unknowns: [] as { process: ProcessRecord; why: string }[],
  }));
  // Process by process, trying only the rules the index names: every other rule says "no".
  // Each rule's lists still come out in snapshot order.
  const index = indexRules(rules, ctx.interpreters);
  for (const p of snapshot.processes) {
    for (const i of index.candidates(p)) {
      const rule = rules[i] as CountRule;
      const f = found[i] as (typeof found)[number];
      const o = matchRule(rule, p, ctx);
      if (o.kind === "yes") f.matches.push(p);
      else if (o.kind === "near") f.nearMisses.push({ process: p, reason: o.reason });
      else if (o.kind === "unknown") f.unknowns.push({ process: p, why: o.why });
      else if (o.kind === "need") throw new Error(`bug: pid ${p.pid} was scanned without fields ${o.fields} that rule ${rule.text} needs`);
    }
  }
  return rules.map((rule, i) => {
    const { matches, nearMisses, unknowns } = found[i] as (typeof found)[number];
    const undecided = unknowns.length + hidden.count;
    const cpu = rule.cpu === undefined ? undefined : evaluateCpu(rule.cpu, matches, figures);
    const countState = evaluateState(rule.range, matches.length, undecided);
    const listen = listenReport(rule, snapshot);
    const limits = hasJudgedLimits(rule) ? evaluateLimits(rule.limits as ProcessLimits, matches, limitsCtx ?? NO_CLOCK) : undefined;
    let state = cpu === undefined ? countState : combineStates(countState, cpu.state);
    if (limits !== undefined) state = combineStates(state, limits.state);
    return {
      rule,
      state,
      countState,
      ...(cpu === undefined ? {} : { cpu }),
      ...(limits === undefined ? {} : { limits }),
      count: matches.length,
      undecided,
      matches,
      nearMisses,
      unknowns,
      ...(hidden.why === undefined ? {} : { hiddenWhy: hidden.why }),
      ...(rule.warn === undefined ? {} : { warnState: evaluateState(rule.warn, matches.length, undecided) }),
      ...(listen === undefined ? {} : { listen }),
    };
  });
}

/** Without clock facts no age is known: age= rules are then unknown, never passed by a guess. */
const NO_CLOCK: LimitsContext = { ageMs: () => undefined };

/** A rule with a limit a scan can judge (restarts= alone is the daemon's, from its history). */
function hasJudgedLimits(rule: CountRule): boolean {
  const l = rule.limits;
  return l !== undefined && (l.rssBytes !== undefined || l.fds !== undefined || l.threads !== undefined || l.ageMs !== undefined);
}

export function evaluateState(range: CountRange, count: number, undecided: number): RuleState {
  const min = range.min ?? 0;
  const max = range.max ?? Infinity;
  if (count > max || count + undecided < min) return "fail";
  if (count >= min && count + undecided <= max) return "ok";
  return "unknown";
}

function evaluateCpu(range: CountRange, matches: readonly ProcessRecord[], figures: CpuFigures | undefined): CpuVerdict {
  if (figures === undefined) throw new Error("bug: a cpu= rule was evaluated without CPU figures");
  let percent = 0;
  let unmeasured = 0;
  for (const p of matches) {
    const f = figures(p);
    if (f === undefined) unmeasured++;
    else percent += f;
  }
  // An unmeasured process could have used any amount of CPU: like an undecided process for counts.
  return { percent, unmeasured, state: evaluateState(range, percent, unmeasured > 0 ? Infinity : 0) };
}

/** A definite failure anywhere fails; otherwise any unknown makes the whole unknown. */
export function combineStates(a: RuleState, b: RuleState): RuleState {
  if (a === "fail" || b === "fail") return "fail";
  if (a === "unknown" || b === "unknown") return "unknown";
  return "ok";
}

/** Processes the scan could not see (hidepid) or read: undecided for every check. */
export function hiddenProcesses(snapshot: Snapshot): { count: number; why?: string } {
  if (snapshot.visibility.kind === "hidden") return { count: Infinity, why: snapshot.visibility.reason };
  if (snapshot.unreadable > 0) {
    return { count: snapshot.unreadable, why: `${snapshot.unreadable} processes could not be read (permission denied; hidepid?)` };
  }
  return { count: 0 };
}

/**
 * With --recheck: keep a rule's second verdict only if it was not ok the first time either.
 * The warn= state is confirmed the same way, so a rule reported CRITICAL in the second scan
 * after a WARNING in the first reports what both scans agree on: at least WARNING.
 */
export function confirmFailures(first: readonly RuleVerdict[], second: readonly RuleVerdict[]): RuleVerdict[] {
  return second.map((v, i) => {
    const before = first[i];
    let out = v;
    if (before?.state === "ok" && v.state !== "ok") {
      out = {
        ...out, state: "ok" as const, countState: "ok" as const,
        ...(v.cpu === undefined ? {} : { cpu: { ...v.cpu, state: "ok" as const } }),
        ...(v.limits === undefined ? {} : { limits: { ...v.limits, state: "ok" as const } }),
      };
    }
    if (before?.state === "ok" && before.warnState === "ok" && v.warnState !== undefined && v.warnState !== "ok") out = { ...out, warnState: "ok" as const };
    return out;
  });
}
