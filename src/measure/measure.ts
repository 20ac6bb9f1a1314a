// One measurement for a check: a scan (two, a window apart, when CPU figures over a window are
// needed), the probes, then the verdicts of the count rules, the probes, the runaway and the
// security reports. Reads /proc (and selinuxfs), connects to probed services; formats nothing.
// The scan plan reads per process only the files the rules, CPU and security checks need; the
// socket tables only when a listen= rule exists.
import type { CpuBasis } from "../rules/types.js";
import { type CpuFigures, lifetimeFigures, windowFigures } from "../evaluate/cpu.js";
import type { MatchContext } from "../evaluate/match.js";
import type { InterpreterSet } from "../evaluate/names.js";
import { type CpuScale, evaluateRunaway, type RunawayReport, type RunawaySettings, runawayFieldsNeeded } from "../evaluate/runaway.js";
import { evaluateSecurity, securityFieldsNeeded, type SecurityReport, type SecuritySettings } from "../evaluate/security.js";
import { evaluateProbe, type ProbeRun, type ProbeVerdict } from "../evaluate/probe.js";
import type { LimitsContext } from "../evaluate/limits.js";
import { evaluateRules, type RuleVerdict } from "../evaluate/verdict.js";
import { indexRules } from "../evaluate/rule-index.js";
import { probeTcp } from "../probe/tcp.js";
import { readUptime } from "../procfs/clock.js";
import { readSelinuxEnforce } from "../procfs/selinuxfs.js";
import { type ScanPlan, takeSnapshot } from "../procfs/snapshot.js";
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import { countRules, probeRules } from "../rules/list.js";
import type { ProbeRule, Rule } from "../rules/types.js";

export interface MeasureSetup {
  readonly procRoot: string;
  readonly interpreters: InterpreterSet;
  /** PIDs whose whole subtree is procwatch itself: never counted. */
  readonly excludeRoots: readonly number[];
  /** Present when any CPU figure is needed (a runaway limit or a cpu= rule). */
  readonly cpu?: { readonly basis: CpuBasis; readonly clockTicks: number; readonly runaway?: RunawaySettings };
  /** Present when --security asked for checks; selinuxfs is where the enforce file lives. */
  readonly security?: { readonly settings: SecuritySettings; readonly selinuxfs: string };
  /** The check's own deadline: no probe waits past it. */
  readonly probeDeadline?: ProbeDeadline;
  /** USER_HZ, when an age= rule needs process ages (CPU figures carry their own in `cpu`). */
  readonly ageClockTicks?: number;
}

/** A time no probe waits past (performance.now() milliseconds), and what set it, for the reason. */
export interface ProbeDeadline {
  readonly atMs: number;
  /** "--timeout", "the scan interval" */
  readonly by: string;
}

export interface Measurement {
  readonly snapshot: Snapshot;
  readonly verdicts: RuleVerdict[];
  readonly runaway?: RunawayReport;
  readonly scale?: CpuScale;
  readonly security?: SecurityReport;
  /** One verdict per probe rule, in rule order; absent when there are no probes (or they were
   * not run again, see measure's options). */
  readonly probes?: readonly ProbeVerdict[];
}

/** With `probe: false` the probes are not run (a --recheck scan: one connection per probe per check). */
export async function measure(rules: readonly Rule[], setup: MeasureSetup, options: { readonly probe?: boolean } = {}): Promise<Measurement> {
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
  const snapshot = takeSnapshot(setup.procRoot, { plan: scanPlan(rules, setup, figures), readUptime: cpu !== undefined || setup.ageClockTicks !== undefined, readListening: hasListen(rules) });
  // After the scan, not during it: the scan is synchronous, and a probe's connect and banner
  // times must not include it.
  const probes = options.probe === false ? undefined : await runProbes(probeRules(rules), setup.probeDeadline);
  return judge(rules, setup, snapshot, figures, probes);
}

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
    const left = deadline === undefined ? Infinity : Math.floor(deadline.atMs - performance.now());
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
