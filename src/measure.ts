// One measurement for a check: a scan (two, a window apart, when CPU figures over a window are
// needed), then the verdicts of the count rules, the runaway and the security reports. Reads /proc
// (and selinuxfs); formats nothing. The scan plan reads per process only the files the rules,
// CPU and security checks need.
import { type CpuBasis, type CpuFigures, lifetimeFigures, windowFigures } from "./evaluate/cpu.js";
import { candidateFilter, type MatchContext, fieldsNeeded } from "./evaluate/match.js";
import type { InterpreterSet } from "./evaluate/names.js";
import { type CpuScale, evaluateRunaway, type RunawayReport, type RunawaySettings, runawayFieldsNeeded } from "./evaluate/runaway.js";
import { evaluateSecurity, securityFieldsNeeded, type SecurityReport, type SecuritySettings } from "./evaluate/security.js";
import { evaluateRules, type RuleVerdict } from "./evaluate/verdict.js";
import { readUptime } from "./procfs/clock.js";
import { readSelinuxEnforce } from "./procfs/selinuxfs.js";
import { type ScanPlan, takeSnapshot } from "./procfs/snapshot.js";
import type { ProcessRecord, Snapshot } from "./procfs/types.js";
import type { Rule } from "./rules/types.js";

export interface MeasureSetup {
  readonly procRoot: string;
  readonly interpreters: InterpreterSet;
  /** PIDs whose whole subtree is procwatch itself: never counted. */
  readonly excludeRoots: readonly number[];
  /** Present when any CPU figure is needed (a runaway limit or a cpu= rule). */
  readonly cpu?: { readonly basis: CpuBasis; readonly clockTicks: number; readonly runaway?: RunawaySettings };
  /** Present when --security asked for checks; selinuxfs is where the enforce file lives. */
  readonly security?: { readonly settings: SecuritySettings; readonly selinuxfs: string };
}

export interface Measurement {
  readonly snapshot: Snapshot;
  readonly verdicts: RuleVerdict[];
  readonly runaway?: RunawayReport;
  readonly scale?: CpuScale;
  readonly security?: SecurityReport;
}

export async function measure(rules: readonly Rule[], setup: MeasureSetup): Promise<Measurement> {
  const cpu = setup.cpu;
  let figures: CpuFigures | undefined;
  if (cpu?.basis.kind === "window") {
    // The first scan only needs stat (CPU ticks); rules are decided on the second.
    const before = takeSnapshot(setup.procRoot, { checkVisibility: false });
    await new Promise((resolve) => setTimeout(resolve, cpu.basis.kind === "window" ? cpu.basis.windowMs : 0));
    figures = windowFigures(before, process.hrtime.bigint(), cpu.clockTicks);
  } else if (cpu?.basis.kind === "lifetime") {
    figures = lifetimeFigures(readUptime(setup.procRoot), cpu.clockTicks);
  }
  const snapshot = takeSnapshot(setup.procRoot, { plan: scanPlan(rules, setup, figures), readUptime: cpu !== undefined });
  return judge(rules, setup, snapshot, figures);
}

/**
 * Which files to read per process: only what the rules, the runaway check (for processes over
 * the limit) and the security checks need. The daemon scans with the same plan.
 */
export function scanPlan(rules: readonly Rule[], setup: MeasureSetup, figures: CpuFigures | undefined): ScanPlan {
  // Exclusion is known only after the scan (it needs the ppid tree); planning ignores it.
  const planCtx: MatchContext = { interpreters: setup.interpreters, excluded: new Set() };
  const runawaySettings = setup.cpu?.runaway;
  const security = setup.security;
  const mayMatch = candidateFilter(rules, setup.interpreters);
  return (rec: ProcessRecord): number => {
    let mask = 0;
    if (mayMatch(rec)) for (const rule of rules) mask |= fieldsNeeded(rule, rec, planCtx);
    if (runawaySettings !== undefined && figures !== undefined) mask |= runawayFieldsNeeded(rec, figures, runawaySettings, planCtx);
    if (security !== undefined) mask |= securityFieldsNeeded(rec, security.settings, planCtx);
    return mask;
  };
}

/** Verdicts and reports for one snapshot. Pure but for reading selinuxfs's enforce file. */
export function judge(rules: readonly Rule[], setup: MeasureSetup, snapshot: Snapshot, figures: CpuFigures | undefined): Measurement {
  const cpu = setup.cpu;
  const security = setup.security;
  const ctx: MatchContext = { interpreters: setup.interpreters, excluded: subtreeOf(snapshot.processes, setup.excludeRoots) };
  const verdicts = evaluateRules(rules, snapshot, ctx, figures);
  const sec = security === undefined ? {} : { security: evaluateSecurity(snapshot, security.settings, ctx, enforceReading(security)) };
  if (cpu === undefined || figures === undefined) return { snapshot, verdicts, ...sec };
  const scale: CpuScale = { basis: cpu.basis, figures, clockTicks: cpu.clockTicks };
  if (cpu.runaway === undefined) return { snapshot, verdicts, scale, ...sec };
  return { snapshot, verdicts, scale, runaway: evaluateRunaway(snapshot, scale, cpu.runaway, ctx), ...sec };
}

function enforceReading(security: NonNullable<MeasureSetup["security"]>) {
  return security.settings.checks.includes("selinux-enforcing") ? readSelinuxEnforce(security.selinuxfs) : undefined;
}

/** PIDs of the given roots and all their descendants. */
export function subtreeOf(processes: readonly ProcessRecord[], roots: readonly number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p.pid]);
    else list.push(p.pid);
  }
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}
