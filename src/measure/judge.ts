// The parts of one scan step (step.ts): what the scan reads per process (the plan), the probes,
// and the verdicts and reports of one snapshot. Pure but for the probes' connections and
// selinuxfs's enforce file; never sleeps, never reads the clock except for a probe's deadline.
import { type CpuFigures } from "../evaluate/cpu.js";
import type { MatchContext } from "../evaluate/match.js";
import { indexRules } from "../evaluate/rule-index.js";
import { type CpuScale, evaluateRunaway, runawayFieldsNeeded } from "../evaluate/runaway.js";
import { evaluateSecurity, securityFieldsNeeded } from "../evaluate/security.js";
import { evaluateProbe, type ProbeRun } from "../evaluate/probe.js";
import type { LimitsContext } from "../evaluate/limits.js";
import { evaluateRules } from "../evaluate/verdict.js";
import { probeTcp } from "../probe/tcp.js";
import { readSelinuxEnforce } from "../procfs/selinuxfs.js";
import type { ScanPlan } from "../procfs/snapshot.js";
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import { countRules, probeRules } from "../rules/list.js";
import type { ProbeRule, Rule } from "../rules/types.js";
import type { Measurement, MeasureSetup, ProbeDeadline } from "./measure.js";
import { monotonicMs } from "./clock.js";

/** Some count rule has listen=: the scan reads procwatch's socket tables for detail lines. */
export function hasListen(rules: readonly Rule[]): boolean {
  return countRules(rules).some((r) => r.qualifiers.some((q) => q.key === "listen"));
}

/**
 * Every probe at once, one connection each; resolves when the last has ended, at most the longest
 * timeout later (or at the deadline, if that comes first).
 */
export async function runProbes(rules: readonly ProbeRule[], deadline?: ProbeDeadline): Promise<ProbeRun[]> {
  return Promise.all(rules.map(async (rule): Promise<ProbeRun> => {
    const left = deadline === undefined ? Infinity : Math.floor(deadline.atMs - monotonicMs());
    const timeoutMs = Math.max(0, Math.min(rule.timeoutMs, left));
    const cut = timeoutMs < rule.timeoutMs && deadline !== undefined ? { cutBy: deadline.by } : {};
    // No time left before the deadline: no connection at all, reported as a timeout.
    if (timeoutMs === 0) return { result: { end: "timeout" }, timeoutMs, ...cut };
    const result = await probeTcp({
      host: rule.host,
      family: rule.address.family,
      port: rule.port,
      timeoutMs,
      ...(rule.banner === undefined ? {} : { banner: { isEnough: (line: string) => (rule.banner as NonNullable<ProbeRule["banner"]>).pattern.test(line) } }),
    });
    return { result, timeoutMs, ...cut };
  }));
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
  const counts = countRules(rules);
  const index = indexRules(counts, setup.interpreters);
  return (rec: ProcessRecord): number => {
    let mask = 0;
    mask |= index.fieldsNeeded(rec, planCtx);
    if (runawaySettings !== undefined && figures !== undefined) mask |= runawayFieldsNeeded(rec, figures, runawaySettings, planCtx);
    if (security !== undefined) mask |= securityFieldsNeeded(rec, security.settings, planCtx);
    return mask;
  };
}

/** Verdicts and reports for one snapshot and the probes' results (one per probe rule, in order).
 * Pure but for reading selinuxfs's enforce file. */
export function judge(rules: readonly Rule[], setup: MeasureSetup, snapshot: Snapshot, figures: CpuFigures | undefined, probeRuns?: readonly ProbeRun[]): Measurement {
  const cpu = setup.cpu;
  const security = setup.security;
  const ctx: MatchContext = { interpreters: setup.interpreters, excluded: subtreeOf(snapshot.processes, setup.excludeRoots) };
  const verdicts = evaluateRules(countRules(rules), snapshot, ctx, figures, limitsContext(snapshot, setup.ageClockTicks ?? cpu?.clockTicks));
  const probes = probeRuns === undefined ? undefined : probeRules(rules).map((rule, i) => {
    const run = probeRuns[i];
    if (run === undefined) throw new Error(`bug: no probe result for ${rule.text}`);
    return evaluateProbe(rule, run);
  });
  const reports = {
    ...(security === undefined ? {} : { security: evaluateSecurity(snapshot, security.settings, ctx, enforceReading(security)) }),
    ...(probes === undefined || probes.length === 0 ? {} : { probes }),
  };
  if (cpu === undefined || figures === undefined) return { snapshot, verdicts, ...reports };
  const scale: CpuScale = { basis: cpu.basis, figures, clockTicks: cpu.clockTicks };
  if (cpu.runaway === undefined) return { snapshot, verdicts, scale, ...reports };
  return { snapshot, verdicts, scale, runaway: evaluateRunaway(snapshot, scale, cpu.runaway, ctx), ...reports };
}

/** Process ages from the snapshot's time since boot: unknown (never guessed) without it. */
function limitsContext(snapshot: Snapshot, clockTicks: number | undefined): LimitsContext {
  const uptimeSec = snapshot.uptimeSec;
  if (uptimeSec === undefined || clockTicks === undefined) return { ageMs: () => undefined };
  return { ageMs: (rec) => Math.max(0, (uptimeSec - rec.startTicks / clockTicks) * 1000) };
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
