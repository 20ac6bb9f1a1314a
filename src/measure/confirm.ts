// Pure: the confirmation the daemon's debounce (for_cycles) and `check --recheck` (two scans)
// share. A rule, runaway offender or security finding is reported only when it held in each of
// the last N scans. Holds no state itself: the caller keeps the window.
import { confirmRunaways } from "../evaluate/runaway.js";
import { confirmSecurity } from "../evaluate/security.js";
import { confirmFailures } from "../evaluate/verdict.js";
import type { Measurement } from "./measure.js";

/**
 * The confirmed view of the newest measurement in `window` (oldest first, all from the same
 * rules): a failure counts only if the last `forCycles` scans all failed; runaway and security
 * offenders only if they (same pid and start time) were offenders in each. A window shorter than
 * `forCycles` (just started or reloaded) confirms nothing yet, like Prometheus' `for:`.
 */
export function confirmWindow(window: readonly Measurement[], forCycles: number): Measurement {
  const oldest = window[0];
  if (oldest === undefined) throw new Error("bug: confirmWindow of an empty window");
  let confirmed = window.length < forCycles ? cleanSlate(oldest) : oldest;
  for (const next of window.length < forCycles ? window : window.slice(1)) {
    confirmed = {
      ...next,
      verdicts: confirmFailures(confirmed.verdicts, next.verdicts),
      ...(confirmed.runaway === undefined || next.runaway === undefined ? {} : { runaway: confirmRunaways(confirmed.runaway, next.runaway) }),
      ...(confirmed.security === undefined || next.security === undefined ? {} : { security: confirmSecurity(confirmed.security, next.security) }),
    };
  }
  return confirmed;
}

/** A measurement with nothing failing, to confirm against before enough scans exist. */
function cleanSlate(m: Measurement): Measurement {
  return {
    ...m,
    verdicts: m.verdicts.map((v) => ({ ...v, state: "ok" as const, warnState: "ok" as const, ...(v.restarts === undefined ? {} : { restarts: { ...v.restarts, state: "ok" as const } }) })),
    ...(m.runaway === undefined ? {} : { runaway: { ...m.runaway, offenders: [] } }),
    ...(m.security === undefined ? {} : { security: { ...m.security, results: m.security.results.map((r) => ({ ...r, state: "ok" as const, offenders: [] })) } }),
  };
}

/** The window after adding a measurement, at most `forCycles` long. */
export function slideWindow(window: readonly Measurement[], next: Measurement, forCycles: number): Measurement[] {
  return [...window, next].slice(-Math.max(1, forCycles));
}
