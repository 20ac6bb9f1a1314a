// Pure: the daemon's restarts=-N/WINDOW. A start is a pid + start-time identity the rule matched
// that was not among its matches in the scan before (the daemon's first scan of a rule only
// learns who is there). More than N starts within WINDOW before the scan fails the rule.
import type { RestartLimit } from "../rules/types.js";
import { combineStates, type RuleVerdict } from "./verdict.js";

export interface RestartsVerdict {
  readonly state: "ok" | "fail";
  /** Starts within the window ending at the scan. */
  readonly starts: number;
  readonly limit: RestartLimit;
}

/** Start times (ms since the epoch) within `limit.windowMs` before `nowMs` against the limit. */
export function evaluateRestarts(limit: RestartLimit, startTimesMs: readonly number[], nowMs: number): RestartsVerdict {
  const since = nowMs - limit.windowMs;
  const starts = startTimesMs.filter((t) => t > since).length;
  return { state: starts > limit.max ? "fail" : "ok", starts, limit };
}

/** The verdict with its restarts= condition folded into its state. */
export function withRestarts(v: RuleVerdict, restarts: RestartsVerdict): RuleVerdict {
  return { ...v, restarts, state: combineStates(v.state, restarts.state) };
}
