// Pure: a probe's result → up or down, and why. No I/O, no clock. The banner is a byte string
// from the network: output escapes and truncates it, nothing here prints it.
import type { TcpProbeResult } from "../probe/tcp.js";
import type { ProbeRule } from "../rules/types.js";

/** Why a probe is down. banner: a line arrived that does not match banner=. */
export type ProbeFailure = "refused" | "timeout" | "banner" | "closed" | "error";

/** What a probe gave, with the time it was given: its timeout=, or less when a deadline (the
 * check's --timeout, the daemon's scan interval) left less; `cutBy` then names that deadline. */
export interface ProbeRun {
  readonly result: TcpProbeResult;
  readonly timeoutMs: number;
  readonly cutBy?: string;
}

export interface ProbeVerdict {
  readonly rule: ProbeRule;
  /** Up (ok) or down (fail); the daemon's debounce may report a fresh failure as ok. */
  readonly state: "ok" | "fail";
  /** Why the probe itself failed; kept when the debounce still reports the probe ok. */
  readonly failure?: ProbeFailure;
  readonly result: TcpProbeResult;
  /** The time the probe had (see ProbeRun). */
  readonly timeoutMs: number;
  /** Set when a deadline cut the rule's timeout= short: "--timeout", "the scan interval". */
  readonly cutBy?: string;
}

export function evaluateProbe(rule: ProbeRule, run: ProbeRun): ProbeVerdict {
  const { result } = run;
  const base = { rule, result, timeoutMs: run.timeoutMs, ...(run.cutBy === undefined ? {} : { cutBy: run.cutBy }) };
  const up: ProbeVerdict = { ...base, state: "ok" };
  const down = (failure: ProbeFailure): ProbeVerdict => ({ ...base, state: "fail", failure });
  switch (result.end) {
    case "connected":
      return up;
    case "banner":
      return bannerMatches(rule, result) ? up : down("banner");
    case "closed":
      // A service may send its greeting and close (daytime, a refusing SMTP server's 554): what it
      // sent is the banner. Nothing at all is its own failure.
      if (result.banner === undefined || result.banner === "") return down("closed");
      return bannerMatches(rule, result) ? up : down("banner");
    case "timeout":
      return down("timeout");
    case "refused":
      return down("refused");
    case "error":
      return down("error");
  }
}

function bannerMatches(rule: ProbeRule, result: TcpProbeResult): boolean {
  return rule.banner === undefined || (result.banner !== undefined && rule.banner.pattern.test(result.banner));
}

/**
 * The confirmed view of the newest probe verdicts over a window of scans (oldest first, all of the
 * same rules): down only if down in each of the last `forCycles`, like the rules' debounce
 * (measure/confirm.ts); a window shorter than that confirms nothing yet. Results (latencies) stay
 * the newest.
 */
export function confirmProbes(window: readonly (readonly ProbeVerdict[])[], forCycles: number): ProbeVerdict[] {
  const newest = window[window.length - 1] ?? [];
  const recent = window.slice(-forCycles);
  return newest.map((v, i) => {
    if (v.state === "ok") return v;
    const held = recent.length >= forCycles && recent.every((w) => w[i]?.state === "fail");
    return held ? v : { ...v, state: "ok" as const };
  });
}
