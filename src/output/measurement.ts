// Pure: a Measurement (with its detail fields read: measure/detail.ts, during the scan) → the text
// and exit code of one output format. The one-shot check and the daemon's /verdicts both answer
// through here; nothing here reads /proc.
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { DetailPolicy } from "../measure/detail.js";
import type { Measurement } from "../measure/measure.js";
import type { NameLookup } from "./describe.js";
import type { CheckOutcome, Formatted, OutputFormat } from "./format.js";
import { formatJson, type ScanFacts } from "./json.js";
import { formatDuration } from "../rules/duration.js";
import { formatMon } from "./mon.js";
import { formatNagios, nagiosState } from "./nagios.js";

export interface MeasurementFormat {
  readonly format: OutputFormat;
  readonly detailLimit: number;
  readonly notes: readonly string[];
}

export function formatMeasurement(m: Measurement, how: MeasurementFormat, names: NameLookup): Formatted {
  return formatOutcome(outcomeOf(m), m.snapshot, how, names);
}

export function outcomeOf(m: Measurement): CheckOutcome {
  return {
    verdicts: m.verdicts,
    ...(m.runaway === undefined ? {} : { runaway: m.runaway }),
    ...(m.scale === undefined ? {} : { cpuBasis: m.scale.basis }),
    ...(m.security === undefined ? {} : { security: m.security }),
    ...(m.probes === undefined ? {} : { probes: m.probes }),
  };
}

/** The one dispatch to the three formatters (check, the daemon and check --from all end here). */
export function formatOutcome(outcome: CheckOutcome, snapshot: ScanFacts, how: MeasurementFormat, names: NameLookup): Formatted {
  if (how.format === "json") return formatJson(outcome, snapshot, names, { detailLimit: how.detailLimit });
  const options = { names, detailLimit: how.detailLimit, notes: [...how.notes] };
  return how.format === "nagios" ? formatNagios(outcome, options) : formatMon(outcome, options);
}

/** Which processes an answer in this format lists: every rule's in JSON and explain, otherwise
 * only those of rules that did not hold (for Nagios, also those outside their warn= range). */
export function detailPolicy(format: OutputFormat, options: { readonly detailLimit: number; readonly everyRule?: boolean }): DetailPolicy {
  const everyRule = options.everyRule === true || format === "json";
  return {
    needsDetail: (v) => everyRule || !isClean(v, format),
    limit: options.detailLimit,
  };
}

/** Nothing to report for this rule: ok, and for Nagios also inside its warn= range. */
export function isClean(v: RuleVerdict, format: OutputFormat): boolean {
  return format === "nagios" ? nagiosState(v) === "OK" : v.state === "ok";
}

/** The daemon's note under a failure when failures are debounced over several scans. */
export function confirmationNotes(forCycles: number, intervalMs: number): string[] {
  return forCycles > 1 ? [`(failed in ${forCycles} consecutive scans ${formatDuration(intervalMs)} apart)`] : [];
}
