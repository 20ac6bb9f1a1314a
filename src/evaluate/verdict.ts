// Pure: rules + snapshot → one verdict per rule. No I/O, no clock.
// A rule is ok when every possible answer for the undecidable processes keeps the count in
// range, failed when none does, and unknown otherwise: never a silent pass or fail.
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import type { CountRange, Rule } from "../rules/types.js";
import { type MatchContext, matchRule } from "./match.js";

export type RuleState = "ok" | "fail" | "unknown";

export interface RuleVerdict {
  readonly rule: Rule;
  readonly state: RuleState;
  /** Processes that definitely count. */
  readonly count: number;
  /** Processes that may count but could not be decided (Infinity: some are invisible). */
  readonly undecided: number;
  readonly matches: readonly ProcessRecord[];
  readonly nearMisses: readonly { readonly process: ProcessRecord; readonly reason: string }[];
  readonly unknowns: readonly { readonly process: ProcessRecord; readonly why: string }[];
  /** Why processes outside the list are undecided too (hidepid, unreadable entries). */
  readonly hiddenWhy?: string;
}

export function evaluateRules(rules: readonly Rule[], snapshot: Snapshot, ctx: MatchContext): RuleVerdict[] {
  const hidden = hiddenProcesses(snapshot);
  return rules.map((rule) => {
    const matches: ProcessRecord[] = [];
    const nearMisses: { process: ProcessRecord; reason: string }[] = [];
    const unknowns: { process: ProcessRecord; why: string }[] = [];
    for (const p of snapshot.processes) {
      const o = matchRule(rule, p, ctx);
      if (o.kind === "yes") matches.push(p);
      else if (o.kind === "near") nearMisses.push({ process: p, reason: o.reason });
      else if (o.kind === "unknown") unknowns.push({ process: p, why: o.why });
      else if (o.kind === "need") throw new Error(`bug: pid ${p.pid} was scanned without fields ${o.fields} that rule ${rule.text} needs`);
    }
    const undecided = unknowns.length + hidden.count;
    return {
      rule,
      state: evaluateState(rule.range, matches.length, undecided),
      count: matches.length,
      undecided,
      matches,
      nearMisses,
      unknowns,
      ...(hidden.why === undefined ? {} : { hiddenWhy: hidden.why }),
    };
  });
}

export function evaluateState(range: CountRange, count: number, undecided: number): RuleState {
  const min = range.min ?? 0;
  const max = range.max ?? Infinity;
  if (count > max || count + undecided < min) return "fail";
  if (count >= min && count + undecided <= max) return "ok";
  return "unknown";
}

function hiddenProcesses(snapshot: Snapshot): { count: number; why?: string } {
  if (snapshot.visibility.kind === "hidden") return { count: Infinity, why: snapshot.visibility.reason };
  if (snapshot.unreadable > 0) {
    return { count: snapshot.unreadable, why: `${snapshot.unreadable} processes could not be read (permission denied; hidepid?)` };
  }
  return { count: 0 };
}

/** With --recheck: keep a rule's second verdict only if it was not ok the first time either. */
export function confirmFailures(first: readonly RuleVerdict[], second: readonly RuleVerdict[]): RuleVerdict[] {
  return second.map((v, i) => (first[i]?.state === "ok" && v.state !== "ok" ? { ...v, state: "ok" as const } : v));
}
