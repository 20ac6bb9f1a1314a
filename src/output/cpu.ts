// Pure: the CPU parts of every output — runaway tokens and lines, cpu= rule phrases. Every
// figure states its scale and window; tokens carry names and users, never the drifting figure,
// so a summary stays the same while the same processes misbehave.
import type { CpuBasis } from "../rules/types.js";
import type { RunawayReport } from "../evaluate/runaway.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import { formatDuration } from "../rules/duration.js";
import type { CountRange } from "../rules/types.js";
import { formatExe, formatUser, type NameLookup } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";

/** "% of one CPU over a 5s window" / "% of one CPU, lifetime average" */
export function basisText(basis: CpuBasis): string {
  return basis.kind === "window" ? `% of one CPU over a ${formatDuration(basis.windowMs)} window` : "% of one CPU, lifetime average";
}

export function formatPercent(percent: number): string {
  return percent.toFixed(1);
}

/** "cpu:burn@root" per distinct offender, sorted: deterministic whatever the figures do. */
export function runawayTokens(report: RunawayReport, names: NameLookup): string[] {
  const tokens = new Set<string>();
  for (const o of report.offenders) {
    const uid = o.process.uids?.real;
    const user = uid === undefined ? "?" : (names.userName(uid) ?? String(uid));
    tokens.add(`cpu:${escapeBytes(o.name, { space: true })}@${escapeText(user, { space: true })}`);
  }
  return [...tokens].sort();
}

/** "cpu: 2 processes above 90% of one CPU over a 5s window (3 more exempt)" */
export function runawayHeadline(report: RunawayReport): string {
  const n = report.offenders.length;
  const exempt = report.exempted === 0 ? "" : ` (${report.exempted} more exempt)`;
  return `cpu: ${n} process${n === 1 ? "" : "es"} above ${report.settings.maxPercent}${basisText(report.basis)}${exempt}`;
}

const ARGS_CAP = 160;

/** One line per offender, highest first, at most settings.top, then "... and N more". */
export function runawayLines(report: RunawayReport, names: NameLookup): string[] {
  const lines = report.offenders.slice(0, report.settings.top).map((o) => {
    const p = o.process;
    const elapsed = o.ageSec === undefined ? "" : ` elapsed ${formatElapsed(o.ageSec)}`;
    const args = p.argv === undefined ? "" : ` args ${truncate(p.argv.map((a) => escapeBytes(a, { space: true })).join(" "), ARGS_CAP)}`;
    return `  pid ${p.pid} name ${escapeBytes(o.name, { space: true })} user ${formatUser(p, names)} ${formatPercent(o.percent)}${basisText(report.basis)}${elapsed} exe ${formatExe(p)}${args}`;
  });
  const more = report.offenders.length - lines.length;
  return more > 0 ? [...lines, `  ... and ${more} more`] : lines;
}

/** "cpu 3.1% < 50 (cpu=50-, % of one CPU over a 5s window)" for a rule's cpu= condition. */
export function cpuPhrase(v: RuleVerdict, basis: CpuBasis | undefined): string {
  const cpu = v.cpu;
  const range = v.rule.cpu;
  if (cpu === undefined || range === undefined) return "";
  const unmeasured = cpu.unmeasured === 0 ? "" : `, ${cpu.unmeasured} not measured yet`;
  const scale = basis === undefined ? "" : `, ${basisText(basis)}`;
  return `cpu ${formatPercent(cpu.percent)}%${outside(cpu.percent, range)} (cpu=${range.min ?? ""}-${range.max ?? ""}${scale}${unmeasured})`;
}

function outside(value: number, range: CountRange): string {
  if (value < (range.min ?? 0)) return ` < ${range.min ?? 0}`;
  if (range.max !== undefined && value > range.max) return ` > ${range.max}`;
  return "";
}

export function formatElapsed(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${String(h).padStart(2, "0")}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  return `${m}m${String(s % 60).padStart(2, "0")}s`;
}

/** Cuts escaped text without splitting a %XX escape. */
function truncate(text: string, cap: number): string {
  if (text.length <= cap) return text;
  return `${text.slice(0, cap).replace(/%[0-9A-F]?$/, "")}...`;
}
