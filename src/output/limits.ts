// Pure: how the rss=, fds=, threads= and age= conditions of a rule read in mon, Nagios and JSON:
// a phrase for the verdict line, a detail line per process outside its bounds (with its figure),
// and perfdata with units. Every process-derived string goes through escape.ts.
import type { RuleVerdict } from "../evaluate/verdict.js";
import { formatDuration } from "../rules/duration.js";
import type { CountRange } from "../rules/types.js";
import { type NameLookup, formatProcessLine } from "./describe.js";
import { escapeBytes } from "./escape.js";

/** "1 process outside rss=-512M", "unknown: 2 processes could not be measured"; "" when ok. */
export function limitsPhrase(v: RuleVerdict): string {
  const restarts = restartsPhrase(v);
  const processes = processLimitsPhrase(v);
  return processes === "" ? restarts : restarts === "" ? processes : `${processes}, ${restarts}`;
}

/** The daemon's restarts=: "5 starts in 10m > 3 (restarts=-3/10m)"; "" when ok or absent. */
export function restartsPhrase(v: RuleVerdict): string {
  const r = v.restarts;
  if (r === undefined || r.state === "ok") return "";
  const window = formatDuration(r.limit.windowMs);
  return `${r.starts} start${r.starts === 1 ? "" : "s"} in ${window} > ${r.limit.max} (restarts=-${r.limit.max}/${window})`;
}

function processLimitsPhrase(v: RuleVerdict): string {
  const l = v.limits;
  if (l === undefined || l.state === "ok") return "";
  if (l.state === "fail") return `${plural(l.violations.length)} outside ${conditionsText(v)}`;
  return `unknown: ${plural(l.unknowns.length)} could not be measured for ${conditionsText(v)}`;
}

/**
 * The matched processes, those outside the rule's limits with what is wrong and those that could
 * not be measured with why: "  outside limits: pid 42 user root exe /usr/sbin/x: rss 600 MiB >
 * 512 MiB". Each process once, from `v.matches` (which carry the detail fields), outside first.
 */
export function matchLines(v: RuleVerdict, names: NameLookup): string[] {
  const l = v.limits;
  if (l === undefined || l.state === "ok") return v.matches.map((p) => `  ${formatProcessLine(p, names)}`);
  const outside = new Map(l.violations.map((x) => [x.process.pid, x.reason]));
  const unmeasured = new Map(l.unknowns.map((x) => [x.process.pid, x.why]));
  const first: string[] = [];
  const rest: string[] = [];
  for (const p of v.matches) {
    const reason = outside.get(p.pid);
    const why = unmeasured.get(p.pid);
    if (reason !== undefined) first.push(`  outside limits: ${formatProcessLine(p, names)}: ${escapeBytes(reason)}`);
    else if (why !== undefined) first.push(`  unmeasured: ${formatProcessLine(p, names)}: ${escapeBytes(why)}`);
    else rest.push(`  ${formatProcessLine(p, names)}`);
  }
  return [...first, ...rest];
}

/** The conditions as the rule wrote them: "rss=-512M,age=10m-". */
function conditionsText(v: RuleVerdict): string {
  return v.rule.label.split(/,(?=[A-Za-z][A-Za-z0-9_-]*!?=)/).filter((p) => LIMIT_PREFIX.test(p)).join(",");
}

const LIMIT_PREFIX = /^(rss|fds|threads|age)=/;

function plural(n: number): string {
  return `${n} process${n === 1 ? "" : "es"}`;
}

/**
 * Perfdata figures for a rule's conditions, each the one closest to breaking its bound: the
 * largest RSS (bytes, "B"), the most open fds (or the highest share, "%"), the most threads, the
 * youngest process's age ("s"). "U" when no matched process could be measured.
 */
export function limitsPerfItems(v: RuleVerdict): { suffix: string; value: string; range: CountRange; unit: string }[] {
  const l = v.rule.limits;
  if (l === undefined) return [];
  const items: { suffix: string; value: string; range: CountRange; unit: string }[] = [];
  const pick = (values: (number | undefined)[], useMin: boolean): string => {
    const known = values.filter((x): x is number => x !== undefined);
    if (known.length === 0) return "U";
    const x = useMin ? Math.min(...known) : Math.max(...known);
    return String(Number.isInteger(x) ? x : Number(x.toFixed(2)));
  };
  if (l.rssBytes !== undefined) items.push({ suffix: "rss", value: pick(v.matches.map((p) => (p.rssKib === undefined ? undefined : p.rssKib * 1024)), false), range: l.rssBytes, unit: "B" });
  if (l.fds !== undefined) {
    const percent = l.fds.unit === "percent";
    const values = v.matches.map((p) => (p.fds === undefined ? undefined : percent ? (p.fds.softLimit === undefined ? undefined : (p.fds.open * 100) / p.fds.softLimit) : p.fds.open));
    items.push({ suffix: "fds", value: pick(values, false), range: l.fds, unit: percent ? "%" : "" });
  }
  if (l.threads !== undefined) items.push({ suffix: "threads", value: pick(v.matches.map((p) => p.threads), false), range: l.threads, unit: "" });
  if (l.ageMs !== undefined) {
    const ages = (v.limits?.agesMs ?? []).map((ms) => (ms === undefined ? undefined : ms / 1000));
    items.push({ suffix: "age", value: pick(ages, true), range: { ...(l.ageMs.min === undefined ? {} : { min: Math.round(l.ageMs.min / 1000) }), ...(l.ageMs.max === undefined ? {} : { max: Math.round(l.ageMs.max / 1000) }) }, unit: "s" });
  }
  return items;
}

/** JSON: the conditions' state and each process outside them or unmeasured. */
export function limitsJson(v: RuleVerdict, processJson: (p: RuleVerdict["matches"][number]) => Record<string, unknown>, limit = Infinity): Record<string, unknown> | undefined {
  const l = v.limits;
  if (l === undefined) return undefined;
  return {
    state: l.state,
    outside: l.violations.slice(0, limit).map((x) => ({ ...processJson(x.process), reason: escapeBytes(x.reason) })),
    moreOutside: Math.max(0, l.violations.length - limit),
    unmeasured: l.unknowns.slice(0, limit).map((x) => ({ ...processJson(x.process), why: escapeBytes(x.why) })),
    moreUnmeasured: Math.max(0, l.unknowns.length - limit),
  };
}
