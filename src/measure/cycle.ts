// The daemon's scanner: one scan per call, keeping what continuity needs (the previous snapshot
// for CPU windows, the debounce window, running error totals, the boot time, the values its
// records share with the previous scan's: procfs/reuse.ts). The timer lives in
// run.ts; this file never sleeps, so a test can drive scans one by one. Each scan is one step
// (step.ts: reads /proc, runs the probes, one connection each per scan, awaited, so the next scan
// never starts while one is open), then debounced and given its detail reads; formats nothing.
// An Observation is the whole truth of its scan, detail fields included: /verdicts, a scrape and
// an OTLP export only read it.
import type { CpuFigures } from "../evaluate/cpu.js";
import { confirmProbes } from "../evaluate/probe.js";
import type { Measurement, MeasureSetup } from "./measure.js";
import { readBootTimeMs } from "../procfs/clock.js";
import { describeProcRootProblem, failedRootSnapshot, listProcRoot, type ProcRootProblem } from "../procfs/root.js";
import { createValueReuse } from "../procfs/reuse.js";
import { type ScanPlan, takeSnapshotYielding } from "../procfs/snapshot.js";
import type { SkipCounts, Snapshot } from "../procfs/types.js";
import type { Rule } from "../rules/types.js";
import { confirmWindow, slideWindow } from "./confirm.js";
import { type DetailPolicy, withDetails } from "./detail.js";
import { measureStep, type StepReader } from "./step.js";
import type { ResourceGroup } from "../config/types.js";
import { createResourceTracker, type RuleResources, resourceFields, withResourceFields } from "./rule-resources.js";

/** What to scan for: replaced as a whole on reload. `setup.cpu` is always present in the daemon. */
export interface ScanSettings {
  readonly rules: readonly Rule[];
  readonly setup: MeasureSetup & { readonly cpu: NonNullable<MeasureSetup["cpu"]> };
  readonly forCycles: number;
  readonly intervalMs: number;
  /** Per-rule resource metrics to compute (export.resource_metrics); absent or []: none. */
  readonly resourceGroups?: readonly ResourceGroup[];
}

export interface Observation {
  /** 1 for the first scan since start. */
  readonly seq: number;
  /** Wall-clock time of the scan start, ms since the epoch. */
  readonly atMs: number;
  /** The scan and its evaluation; the probes' waits are not included. */
  readonly durationMs: number;
  /** Debounced verdicts and reports, with the detail fields of the processes answers list
   * (DAEMON_DETAIL, read right after judging); its snapshot is this scan's. */
  readonly measurement: Measurement;
  /** Boot time, ms since the epoch: <root>/stat btime, read on the first scan and kept, so a
   * process's start time is the same in every scan. Absent when unreadable. */
  readonly bootTimeMs?: number;
  /** CPU figures of this scan (window since the previous scan, or lifetime). */
  readonly figures: CpuFigures;
  /** Seconds the window figures cover (0 on the first scan or with lifetime figures). */
  readonly windowSec: number;
  readonly settings: ScanSettings;
  /** Read failures since the daemon started, by kind (vanished is normal). */
  readonly errorTotals: Readonly<SkipCounts>;
  /** Why this scan saw no process at all (the proc root unreadable, or not procfs). */
  readonly failure?: string;
  /** Per-rule resource figures by rule label (rule-resources.ts), from this scan's matches. */
  readonly resources: ReadonlyMap<string, RuleResources>;
}

export interface Scanner {
  scan(): Promise<Observation>;
  /** Later scans use these settings; the debounce window restarts (rules may have changed). */
  useSettings(settings: ScanSettings): void;
}

const NO_FIGURE: CpuFigures = () => undefined;

/** Process lines per list of every rule the daemon's answers can show (/verdicts in any format,
 * as check's --detail-limit default). */
export const DAEMON_DETAIL_LIMIT = 10;

/** Every rule: the JSON answer lists the matches of rules that hold too. */
const DAEMON_DETAIL: DetailPolicy = { needsDetail: () => true, limit: DAEMON_DETAIL_LIMIT };

/** `clock` is the monotonic clock of CPU windows and scan durations (default
 * process.hrtime.bigint). */
export function createScanner(initial: ScanSettings, options: { readonly clock?: () => bigint } = {}): Scanner {
  const clock = options.clock ?? process.hrtime.bigint;
  let settings = initial;
  let previous: Snapshot | undefined;
  let window: Measurement[] = [];
  let seq = 0;
  let boot: { readonly procRoot: string; readonly ms: number | undefined } | undefined;
  const totals: SkipCounts = { vanished: 0, denied: 0, parse: 0, other: 0 };
  const tracker = createResourceTracker();
  const reuse = createValueReuse();
  const read: StepReader = (procRoot, options) => readTolerant(procRoot, { ...options, reuse });
  return {
    useSettings(next) {
      settings = next;
      window = [];
    },
    async scan() {
      const current = settings;
      const { setup } = current;
      const step = await measureStep({
        rules: current.rules, setup, previous, clock,
        probe: true, probeBudget: { ms: current.intervalMs, by: "the scan interval" },
        read,
        widenPlan: (plan) => withResourcePlan(plan, current),
      });
      // restarts= is judged before the debounce, like every other condition. A scan that saw no
      // process (the root failed) teaches the history nothing: every process would restart after it.
      const tracked = step.rootProblem === undefined
        ? tracker.update(step.measurement.verdicts, step.measurement.snapshot, setup.cpu.clockTicks)
        : { verdicts: step.measurement.verdicts, resources: new Map<string, RuleResources>() };
      const raw = { ...step.measurement, verdicts: tracked.verdicts };
      // A reload during the scan started a new window; this scan belongs to the old rules.
      if (current === settings) window = slideWindow(window, raw, current.forCycles);
      const judged = current === settings ? window : [raw];
      const confirmed = confirmWindow(judged, current.forCycles);
      // Probes are debounced like rules (confirm.ts knows rules, runaways and security checks).
      const debounced = raw.probes === undefined ? confirmed : { ...confirmed, probes: confirmProbes(judged.map((m) => m.probes ?? []), current.forCycles) };
      const measurement = withDetails(debounced, setup, DAEMON_DETAIL);
      if (boot?.procRoot !== setup.procRoot) boot = { procRoot: setup.procRoot, ms: readBootTimeMs(setup.procRoot) };
      previous = step.next;
      const snapshot = raw.snapshot;
      for (const k of ["vanished", "denied", "parse", "other"] as const) totals[k] += snapshot.skipped[k];
      seq++;
      return {
        seq,
        atMs: snapshot.atMs,
        durationMs: Number(clock() - step.startNs - step.probesNs) / 1e6,
        measurement,
        ...(boot.ms === undefined ? {} : { bootTimeMs: boot.ms }),
        figures: step.figures ?? NO_FIGURE,
        windowSec: step.windowSec,
        settings: current,
        errorTotals: { ...totals },
        ...(step.rootProblem === undefined ? {} : { failure: describeProcRootProblem(step.rootProblem) }),
        resources: tracked.resources,
      };
    },
  };
}

/** The rules' scan plan, plus the files the resource metrics need for processes a rule matches. */
function withResourcePlan(plan: ScanPlan, settings: ScanSettings): ScanPlan {
  const ctx = { interpreters: settings.setup.interpreters, excluded: new Set<number>() };
  return withResourceFields(plan, settings.rules, ctx, resourceFields(settings.resourceGroups ?? []));
}

/** A root that went away (unmounted, renamed) fails this scan, not the daemon: no process seen,
 * every rule that could fail unknown, and the next scan tries again. */
const readTolerant: StepReader = async (procRoot, options) => {
  const listed = listProcRoot(procRoot);
  if (!("names" in listed)) return failed(listed, options.clock);
  try {
    return { snapshot: await takeSnapshotYielding(procRoot, { ...options, names: listed.names }) };
  } catch (err) {
    // Gone after the listing, when the scan reads the root's own files: the same failure.
    // Anything else is a bug.
    const { code, path } = err as NodeJS.ErrnoException;
    if (typeof code !== "string" || path !== procRoot) throw err;
    return failed({ kind: "unreadable", procRoot, code }, options.clock);
  }
};

function failed(rootProblem: ProcRootProblem, clock: (() => bigint) | undefined) {
  return { snapshot: failedRootSnapshot(rootProblem, clock), rootProblem };
}
