// The daemon's scanner: one scan per call, keeping what continuity needs (the previous snapshot
// for CPU windows, the debounce window, running error totals). The timer lives in run.ts; this
// file never sleeps, so a test can drive scans one by one. Reads /proc and runs the probes (one
// connection each per scan, awaited, so the next scan never starts while one is open); formats nothing.
import { type CpuFigures, lifetimeFigures, windowFigures } from "../evaluate/cpu.js";
import { confirmProbes } from "../evaluate/probe.js";
import { hasListen, judge, type Measurement, type MeasureSetup, runProbes, scanPlan } from "./measure.js";
import { readUptime } from "../procfs/clock.js";
import { type ScanPlan, takeSnapshotYielding } from "../procfs/snapshot.js";
import type { SkipCounts, Snapshot } from "../procfs/types.js";
import { probeRules } from "../rules/list.js";
import type { Rule } from "../rules/types.js";
import { confirmWindow, slideWindow } from "./confirm.js";
import type { ResourceGroup } from "../config/types.js";
import { createResourceTracker, type RuleResources, resourceFields, withResourceFields } from "./rule-resources.js";

/** What to scan for: replaced as a whole on reload. `setup.cpu` is always present in the daemon. */
export interface ScanProgram {
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
  /** Debounced verdicts and reports; its snapshot is this scan's. */
  readonly measurement: Measurement;
  /** CPU figures of this scan (window since the previous scan, or lifetime). */
  readonly figures: CpuFigures;
  /** Seconds the window figures cover (0 on the first scan or with lifetime figures). */
  readonly windowSec: number;
  readonly program: ScanProgram;
  /** Read failures since the daemon started, by kind (vanished is normal). */
  readonly errorTotals: Readonly<SkipCounts>;
  /** Per-rule resource figures by rule label (rule-resources.ts), from this scan's matches. */
  readonly resources: ReadonlyMap<string, RuleResources>;
}

export interface Scanner {
  scan(): Promise<Observation>;
  /** Later scans use this program; the debounce window restarts (rules may have changed). */
  reprogram(program: ScanProgram): void;
}

const NO_FIGURE: CpuFigures = () => undefined;

export function createScanner(initial: ScanProgram): Scanner {
  let program = initial;
  let previous: Snapshot | undefined;
  let window: Measurement[] = [];
  let seq = 0;
  const totals: SkipCounts = { vanished: 0, denied: 0, parse: 0, other: 0 };
  const tracker = createResourceTracker();
  return {
    reprogram(next) {
      program = next;
      window = [];
    },
    async scan() {
      const current = program;
      const { setup } = current;
      const startNs = process.hrtime.bigint();
      let figures: CpuFigures;
      let windowSec = 0;
      if (setup.cpu.basis.kind === "lifetime") {
        figures = lifetimeFigures(readUptime(setup.procRoot), setup.cpu.clockTicks);
      } else if (previous === undefined) {
        // A process seen once has no window figure: the first scan measures no CPU.
        figures = NO_FIGURE;
      } else {
        figures = windowFigures(previous, startNs, setup.cpu.clockTicks);
        windowSec = Number(startNs - previous.atNs) / 1e9;
      }
      const snapshot = await takeSnapshotYielding(setup.procRoot, { plan: resourcePlan(current, figures), readUptime: true, readListening: hasListen(current.rules) });
      // After the scan, so the scan's synchronous reads never delay a probe's connect or banner;
      // cut to one interval, so a slow probe delays the next scan by one interval at most.
      const probesStartNs = process.hrtime.bigint();
      const probeRuns = await runProbes(probeRules(current.rules), { atMs: performance.now() + current.intervalMs, by: "the scan interval" });
      const probesNs = process.hrtime.bigint() - probesStartNs;
      const judgedScan = judge(current.rules, setup, snapshot, figures, probeRuns);
      // restarts= is judged before the debounce, like every other condition.
      const tracked = tracker.update(judgedScan.verdicts, snapshot, setup.cpu.clockTicks);
      const raw = { ...judgedScan, verdicts: tracked.verdicts };
      // A reload during the scan started a new window; this scan belongs to the old rules.
      if (current === program) window = slideWindow(window, raw, current.forCycles);
      const judged = current === program ? window : [raw];
      const confirmed = confirmWindow(judged, current.forCycles);
      previous = snapshot;
      for (const k of ["vanished", "denied", "parse", "other"] as const) totals[k] += snapshot.skipped[k];
      seq++;
      return {
        seq,
        atMs: snapshot.atMs,
        durationMs: Number(process.hrtime.bigint() - startNs - probesNs) / 1e6,
        // Probes are debounced like rules (confirm.ts knows rules, runaways and security checks).
        measurement: raw.probes === undefined ? confirmed : { ...confirmed, probes: confirmProbes(judged.map((m) => m.probes ?? []), current.forCycles) },
        figures,
        windowSec,
        program: current,
        errorTotals: { ...totals },
        resources: tracked.resources,
      };
    },
  };
}

/** The rules' scan plan, plus the files the resource metrics need for processes a rule matches. */
function resourcePlan(program: ScanProgram, figures: CpuFigures): ScanPlan {
  const plan = scanPlan(program.rules, program.setup, figures);
  const ctx = { interpreters: program.setup.interpreters, excluded: new Set<number>() };
  return withResourceFields(plan, program.rules, ctx, resourceFields(program.resourceGroups ?? []));
}
