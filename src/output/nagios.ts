// Pure: verdicts → Nagios plugin output and exit code 0/1/2/3. No I/O.
// Line 1 is "PROCS STATE: text | perfdata", then long output. Nagios splits line 1 at its first
// '|' and treats a '|' on any later line as more perfdata, so the separator is the only raw '|'
// printed: all other text goes through escape.ts ('|' → %7C) and perfdata labels are rebuilt
// from rule labels with a strict whitelist (docs/nagios-output.md).
import type { RunawayReport } from "../evaluate/runaway.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { CountRange } from "../rules/types.js";
import type { NameLookup } from "./describe.js";
import { escapeText } from "./escape.js";
import { limitsPerfItems, limitsPhrase } from "./limits.js";
import { basisText, cpuPhrase, formatPercent, runawayHeadline, runawayLines, runawayTokens } from "./cpu.js";
import { type CheckOutcome, type Formatted, detailLines, formatRange } from "./format.js";
import { capOutput } from "./mon.js";
import { probeLine, probePerfItems } from "./probe.js";
import { securityLines, securityPerfItems, securityPhrase, securityStatus } from "./security.js";

export type NagiosState = "OK" | "WARNING" | "CRITICAL" | "UNKNOWN";

export const NAGIOS_EXIT: Readonly<Record<NagiosState, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** The service word that opens line 1, as check_procs prints it. */
const SERVICE = "PROCS";

// Nagios keeps only the first 8192 bytes of line 1 and NRPE v3 carries 64 KiB in all; stay well
// below both so the perfdata and long output always arrive whole.
/** Bytes of status text on line 1 (before " | "); longer lists end in "and N more". */
export const STATUS_TEXT_CAP = 1024;
/** Bytes of the whole of line 1, perfdata included. */
export const FIRST_LINE_CAP = 4096;
/** Bytes of the long output (every line after the first). */
export const LONG_OUTPUT_CAP = 8192;

/** Longest perfdata label: graphers (RRD, pnp4nagios) turn labels into file and series names. */
const PERF_LABEL_MAX = 40;

export interface NagiosOptions {
  readonly names: NameLookup;
  /** Process lines shown per rule before "... and N more". */
  readonly detailLimit: number;
  /** Extra long-output lines at the end (e.g. the --recheck note). Must be safe text already. */
  readonly notes?: readonly string[];
}

/** A rule's Nagios state: outside its own range CRITICAL, outside warn= WARNING, undecidable UNKNOWN. */
export function nagiosState(v: RuleVerdict): NagiosState {
  if (v.state === "fail") return "CRITICAL";
  if (v.state === "unknown") return "UNKNOWN";
  if (v.warnState === "fail") return "WARNING";
  if (v.warnState === "unknown") return "UNKNOWN";
  return "OK";
}

// Worst first as in monitoring-plugins' max_state_alt (plugins/utils.c): any definite problem
// outranks UNKNOWN, so one undecidable rule cannot mask another rule's CRITICAL.
const SEVERITY: Readonly<Record<NagiosState, number>> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

const SECURITY_STATE: Readonly<Record<"ok" | "fail" | "unknown", NagiosState>> = { ok: "OK", fail: "CRITICAL", unknown: "UNKNOWN" };

export function worstState(states: readonly NagiosState[]): NagiosState {
  return states.reduce<NagiosState>((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), "OK");
}

export function formatNagios(outcome: CheckOutcome, options: NagiosOptions): Formatted {
  const { verdicts, runaway, security } = outcome;
  const probes = outcome.probes ?? [];
  if (verdicts.length === 0 && probes.length === 0 && runaway === undefined && security === undefined) return formatNagiosUnknown("no rules given (usage: procwatch check --format nagios RULE...)");
  const runawayState: NagiosState = runaway !== undefined && runaway.offenders.length > 0 ? "CRITICAL" : "OK";
  // Any security offender is CRITICAL; a check that could not decide is UNKNOWN; not applicable is OK.
  const securityState: NagiosState = security === undefined ? "OK" : SECURITY_STATE[securityStatus(security)];
  const states = verdicts.map(nagiosState);
  // A probe that is down is CRITICAL: the service does not answer as it should.
  const probeStates: NagiosState[] = probes.map((v) => (v.state === "ok" ? "OK" : "CRITICAL"));
  const overall = worstState([...states, ...probeStates, runawayState, securityState]);
  // OK names every rule with its count; otherwise only the rules that are not OK, in argument order.
  const shown = verdicts.filter((_, i) => overall === "OK" || states[i] !== "OK");
  const shownProbes = probes.filter((_, i) => overall === "OK" || probeStates[i] !== "OK");
  const phrases = shown.map((v) => rulePhrase(v, nagiosState(v), outcome));
  phrases.push(...shownProbes.map(probeLine));
  if (runaway !== undefined && (overall === "OK" || runawayState !== "OK")) phrases.push(runawayPhrase(runaway, options));
  if (security !== undefined && (overall === "OK" || securityState !== "OK")) phrases.push(securityPhrase(security, options.names));
  const text = joinCapped(phrases, STATUS_TEXT_CAP);
  const head = `${SERVICE} ${overall}: ${text}`;
  const { perfdata, dropped } = perfdataWithin(outcome, FIRST_LINE_CAP - Buffer.byteLength(head) - 3);
  const long: string[] = [];
  for (const v of shown) {
    if (overall === "OK") break;
    long.push(rulePhrase(v, nagiosState(v), outcome));
    long.push(...detailLines(v, options.names, options.detailLimit));
  }
  if (overall !== "OK") long.push(...shownProbes.map(probeLine));
  if (runaway !== undefined && runawayState !== "OK") long.push(runawayHeadline(runaway), ...runawayLines(runaway, options.names));
  if (security !== undefined && overall !== "OK") long.push(...securityLines(security, options.names, options.detailLimit, true));
  long.push(...(options.notes ?? []));
  if (dropped > 0) long.push(`(perfdata of ${dropped} more rules left out: line 1 is capped at ${FIRST_LINE_CAP} bytes)`);
  // Only not applicable security checks: nothing to graph, so no '|' at all.
  const first = perfdata === "" ? head : `${head} | ${perfdata}`;
  return { text: withLongOutput(first, long), exitCode: NAGIOS_EXIT[overall] };
}

/**
 * UNKNOWN (exit 3) with a one-line reason: usage errors, unreadable /proc, timeouts, bugs.
 * `reason` and `details` are raw text (they may hold argv or error messages): escaped here.
 */
export function formatNagiosUnknown(reason: string, details: readonly string[] = []): Formatted {
  const head = `${SERVICE} UNKNOWN: ${truncateBytes(escapeText(reason), STATUS_TEXT_CAP)}`;
  return { text: withLongOutput(head, details.map((d) => escapeText(d))), exitCode: NAGIOS_EXIT.UNKNOWN };
}

/** "sshd:0 < 1 (1-)", "cron:4 > 3 (warn 1-3, crit 1-5)", "x:1 unknown: 2 more processes could not be checked (1-1)" */
export function rulePhrase(v: RuleVerdict, state: NagiosState, outcome: Pick<CheckOutcome, "cpuBasis"> = {}): string {
  const name = escapeText(v.rule.label, { space: true });
  const ranges = v.rule.warn === undefined ? `(${formatRange(v.rule.range)})` : `(warn ${formatRange(v.rule.warn)}, crit ${formatRange(v.rule.range)})`;
  const limits = limitsPhrase(v);
  const cpu = (v.cpu === undefined ? "" : ` ${cpuPhrase(v, outcome.cpuBasis)}`) + (limits === "" ? "" : `, ${limits}`);
  if (state === "UNKNOWN" && v.countState === "unknown") {
    const undecided = v.undecided === Infinity ? "an unknown number of" : String(v.undecided);
    return `${name}:${v.count} unknown: ${undecided} more processes could not be checked ${ranges}${cpu}`;
  }
  const broken = state === "CRITICAL" && v.countState === "fail" ? v.rule.range : state === "WARNING" ? v.rule.warn : undefined;
  const why = broken === undefined ? "" : outsideBy(v.count, broken);
  return `${name}:${v.count}${why === "" ? "" : ` ${why}`} ${ranges}${cpu}`;
}

/** "cpu: 2 runaway above 90% of one CPU over a 5s window: cpu:burn@root ..." */
function runawayPhrase(report: RunawayReport, options: NagiosOptions): string {
  const n = report.offenders.length;
  const head = `cpu: ${n} runaway above ${report.settings.maxPercent}${basisText(report.basis)}`;
  return n === 0 ? head : `${head}: ${runawayTokens(report, options.names).join(" ")}`;
}

function outsideBy(count: number, range: CountRange): string {
  if (count < (range.min ?? 0)) return `< ${range.min ?? 0}`;
  if (range.max !== undefined && count > range.max) return `> ${range.max}`;
  // Reachable only when undecided processes alone make the minimum impossible.
  return "";
}

/** procwatch's inclusive MIN-MAX as a plugin range (alert outside it): 1-5 → 1:5, 1- → 1:, -3 → ~:3, 0-0 → 0:0. */
export function toPluginRange(range: CountRange): string {
  if (range.min !== undefined && range.max !== undefined) return `${range.min}:${range.max}`;
  if (range.min !== undefined) return `${range.min}:`;
  if (range.max !== undefined) return `~:${range.max}`;
  return "";
}

/**
 * One perfdata label per rule label: every character outside [A-Za-z0-9_.-] becomes '_', so no
 * quote, '=', '|', space or control byte can ever reach perfdata; cut to 40 characters; made
 * unique with _2, _3... in argument order ("a b" and "a_b" → a_b, a_b_2).
 */
export function perfLabels(labels: readonly string[]): string[] {
  const used = new Set<string>();
  return labels.map((label) => {
    const base = label.replace(/[^A-Za-z0-9_.-]/gu, "_").slice(0, PERF_LABEL_MAX);
    let out = base;
    for (let n = 2; used.has(out); n++) out = `${base}_${n}`;
    used.add(out);
    return out;
  });
}

/**
 * 'label'=count;warn;crit;0; per rule. The count is "U" (the guidelines' "could not be
 * determined") while processes are undecided: a definite count would under-report.
 */
export function formatPerfdata(outcome: CheckOutcome): string[] {
  const { verdicts, runaway } = outcome;
  const cpuRules = verdicts.filter((v) => v.cpu !== undefined);
  // One offender count per applicable security check, "sec_<check>", never for a not applicable one.
  const sec = outcome.security === undefined ? [] : securityPerfItems(outcome.security);
  // One response time per probe, in seconds, "U" when it is down (check_tcp's `time`).
  const probes = probePerfItems(outcome.probes ?? []);
  // cpu= rules get a second series "<label>_cpu"; the runaway count is "cpu_runaway".
  // rss=, fds=, threads=, age= rules get one series per condition: "<label>_rss" ...
  const limitItems = verdicts.flatMap((v) => limitsPerfItems(v).map((x) => ({ ...x, label: `${v.rule.label}_${x.suffix}` })));
  const labels = perfLabels([
    ...verdicts.map((v) => v.rule.label), ...cpuRules.map((v) => `${v.rule.label}_cpu`), ...(runaway === undefined ? [] : ["cpu_runaway"]), ...sec.map((x) => x.label),
    ...probes.map((x) => x.label), ...limitItems.map((x) => x.label),
  ]);
  const limitLabels = labels.splice(labels.length - limitItems.length);
  const probeLabels = labels.splice(labels.length - probes.length);
  const items = verdicts.map((v, i) => {
    const value = v.undecided > 0 ? "U" : String(v.count);
    const warn = v.rule.warn === undefined ? "" : toPluginRange(v.rule.warn);
    return `'${labels[i] as string}'=${value};${warn};${toPluginRange(v.rule.range)};0;`;
  });
  cpuRules.forEach((v, k) => {
    const cpu = v.cpu as NonNullable<RuleVerdict["cpu"]>;
    const value = cpu.unmeasured > 0 ? "U" : `${formatPercent(cpu.percent)}%`;
    items.push(`'${labels[verdicts.length + k] as string}'=${value};;${toPluginRange(v.rule.cpu ?? {})};0;`);
  });
  if (runaway !== undefined) items.push(`'${labels[labels.length - 1 - sec.length] as string}'=${runaway.offenders.length};;0:0;0;`);
  sec.forEach((x, k) => items.push(`'${labels[labels.length - sec.length + k] as string}'=${x.value};;0:0;0;`));
  probes.forEach((x, k) => items.push(`'${probeLabels[k] as string}'=${x.value};;;0;${x.max}`));
  limitItems.forEach((x, k) => items.push(`'${limitLabels[k] as string}'=${x.value === "U" ? "U" : `${x.value}${x.unit}`};;${toPluginRange(x.range)};0;`));
  return items;
}

function perfdataWithin(outcome: CheckOutcome, budget: number): { perfdata: string; dropped: number } {
  const items = formatPerfdata(outcome);
  let size = 0;
  let kept = 0;
  for (const item of items) {
    if (size + item.length + 1 > budget) break;
    size += item.length + 1;
    kept++;
  }
  return { perfdata: items.slice(0, kept).join(" "), dropped: items.length - kept };
}

/** Joins phrases with ", " while they fit in `capBytes`, then says how many were left out. */
function joinCapped(phrases: readonly string[], capBytes: number): string {
  let out = "";
  for (let i = 0; i < phrases.length; i++) {
    const next = `${out}${i === 0 ? "" : ", "}${phrases[i] as string}`;
    // keep room for ", and NNNN more"
    if (i > 0 && Buffer.byteLength(next) > capBytes - 20) return `${out}, and ${phrases.length - i} more`;
    out = next;
  }
  return truncateBytes(out, capBytes);
}

/** Cuts at a character boundary so the result has at most `capBytes` UTF-8 bytes. */
function truncateBytes(text: string, capBytes: number): string {
  if (Buffer.byteLength(text) <= capBytes) return text;
  let out = "";
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (size + n > capBytes - 3) break;
    out += ch;
    size += n;
  }
  // never leave half of a %XX escape behind
  return `${out.replace(/%[0-9A-F]?$/, "")}...`;
}

function withLongOutput(first: string, long: readonly string[]): string {
  return long.length === 0 ? `${first}\n` : `${first}\n${capOutput(long, LONG_OUTPUT_CAP)}`;
}
