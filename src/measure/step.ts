// One scan step, the measurement cycle the check and the daemon share: CPU figures (over the
// window since the previous snapshot, or lifetime), the snapshot read with the plan those figures
// allow, the probes, then the verdicts. The caller keeps what continues between steps (the
// previous snapshot, the daemon's debounce window); this file never sleeps and reads time only
// from the clock it is given, so a test drives steps one by one with exact figures.
import { type CpuFigures, lifetimeFigures, windowFigures } from "../evaluate/cpu.js";
import { readUptime } from "../procfs/clock.js";
import type { ProcRootProblem } from "../procfs/root.js";
import { type ScanPlan, type SnapshotOptions, takeSnapshot } from "../procfs/snapshot.js";
import type { Snapshot } from "../procfs/types.js";
import { probeRules } from "../rules/list.js";
import type { Rule } from "../rules/types.js";
import { hasListen, judge, runProbes, scanPlan } from "./judge.js";
import type { Measurement, MeasureSetup, ProbeDeadline } from "./measure.js";
import { monotonicMs } from "./clock.js";

/** A read snapshot, or the empty one of a scan that could not read its root (and why). */
export interface StepRead {
  readonly snapshot: Snapshot;
  readonly rootProblem?: ProcRootProblem;
}

/** How a step reads its snapshot: the check's is takeSnapshot (a root error throws); the daemon's
 * yields to the event loop and turns a vanished root into a failed scan (cycle.ts). */
export type StepReader = (procRoot: string, options: SnapshotOptions) => Promise<StepRead>;

export interface StepInput {
  readonly rules: readonly Rule[];
  readonly setup: MeasureSetup;
  /** The previous step's snapshot (or a stat-only baseline): window figures run from it to this
   * step. Without it a window basis gives no figure (a process seen once has none). */
  readonly previous: Snapshot | undefined;
  readonly clock: () => bigint;
  /** Run the probes; false for a --recheck scan (one connection per probe per check). */
  readonly probe: boolean;
  /** The probes wait at most this long from their start (the daemon: one scan interval, so a slow
   * probe delays the next scan by one interval at most); without it, until setup.probeDeadline. */
  readonly probeBudget?: { readonly ms: number; readonly by: string };
  readonly read?: StepReader;
  /** More files per process than the rules need (the daemon's resource metrics). */
  readonly widenPlan?: (plan: ScanPlan) => ScanPlan;
}

export interface Step {
  /** The verdicts and reports of this step alone (no debounce, no detail reads). */
  readonly measurement: Measurement;
  /** This step's CPU figures; undefined when the setup measures no CPU. */
  readonly figures: CpuFigures | undefined;
  /** Seconds the window figures cover (0 without a previous snapshot, or with lifetime figures). */
  readonly windowSec: number;
  /** The clock's reading at the step's start, which is also the snapshot's atNs. */
  readonly startNs: bigint;
  /** Time spent waiting for the probes, ns (not part of a scan's duration). */
  readonly probesNs: bigint;
  /** Why this step saw no process at all (from the reader). */
  readonly rootProblem?: ProcRootProblem;
  /** What the next step's window starts from: this snapshot, unless the scan failed (a failed
   * scan is no base for a CPU window). */
  readonly next: Snapshot | undefined;
}

const NO_FIGURE: CpuFigures = () => undefined;

const readNow: StepReader = async (procRoot, options) => ({ snapshot: takeSnapshot(procRoot, options) });

export async function measureStep(input: StepInput): Promise<Step> {
  const { rules, setup, previous, clock } = input;
  // One reading for both ends: the window ends where the snapshot is stamped, so the next
  // window starts exactly where this one ended.
  const startNs = clock();
  const { figures, windowSec } = cpuFigures(setup, previous, startNs);
  const widen = input.widenPlan ?? ((plan: ScanPlan) => plan);
  const { snapshot, rootProblem } = await (input.read ?? readNow)(setup.procRoot, {
    plan: widen(scanPlan(rules, setup, figures)),
    readUptime: setup.cpu !== undefined || setup.ageClockTicks !== undefined,
    readListening: hasListen(rules),
    clock: () => startNs,
  });
  // After the scan, not during it: the scan's synchronous reads must never delay a probe's
  // connect or banner.
  const probesStartNs = clock();
  const probeRuns = input.probe ? await runProbes(probeRules(rules), probeDeadline(input)) : undefined;
  const probesNs = clock() - probesStartNs;
  return {
    measurement: judge(rules, setup, snapshot, figures, probeRuns),
    figures,
    windowSec,
    startNs,
    probesNs,
    ...(rootProblem === undefined ? {} : { rootProblem }),
    next: rootProblem === undefined ? snapshot : undefined,
  };
}

/** The one place that chooses between window and lifetime figures. */
function cpuFigures(setup: MeasureSetup, previous: Snapshot | undefined, nowNs: bigint): { figures: CpuFigures | undefined; windowSec: number } {
  const cpu = setup.cpu;
  if (cpu === undefined) return { figures: undefined, windowSec: 0 };
  if (cpu.basis.kind === "lifetime") return { figures: lifetimeFigures(readUptime(setup.procRoot), cpu.clockTicks), windowSec: 0 };
  if (previous === undefined) return { figures: NO_FIGURE, windowSec: 0 };
  return { figures: windowFigures(previous, nowNs, cpu.clockTicks), windowSec: Number(nowNs - previous.atNs) / 1e9 };
}

function probeDeadline(input: StepInput): ProbeDeadline | undefined {
  const budget = input.probeBudget;
  return budget === undefined ? input.setup.probeDeadline : { atMs: monotonicMs() + budget.ms, by: budget.by };
}
