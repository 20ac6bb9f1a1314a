// The daemon's scanner: one scan per call, keeping what continuity needs (the previous snapshot
// for CPU windows, the debounce window, running error totals, the boot time). The timer lives in
// run.ts; this file never sleeps, so a test can drive scans one by one. Reads /proc and runs the
// probes (one connection each per scan, awaited, so the next scan never starts while one is
// open); formats nothing. An Observation is the whole truth of its scan, detail fields included:
// /verdicts, a scrape and an OTLP export only read it.
import { type CpuFigures, lifetimeFigures, windowFigures } from "../evaluate/cpu.js";
import { confirmProbes } from "../evaluate/probe.js";
import { hasListen, judge, type Measurement, type MeasureSetup, runProbes, scanPlan } from "./measure.js";
import { readBootTimeMs, readUptime } from "../procfs/clock.js";
import { checkProcRoot, describeProcRootProblem, failedRootSnapshot } from "../procfs/root.js";
import { type ScanPlan, takeSnapshotYielding } from "../procfs/snapshot.js";
import type { SkipCounts, Snapshot } from "../procfs/types.js";
import { probeRules } from "../rules/list.js";
import type { Rule } from "../rules/types.js";
import { confirmWindow, slideWindow } from "./confirm.js";
import { type DetailPolicy, withDetails } from "./detail.js";
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
  readonly program: ScanProgram;
  /** Read failures since the daemon started, by kind (vanished is normal). */
  readonly errorTotals: Readonly<SkipCounts>;
  /** Why this scan saw no process at all (the proc root unreadable, or not procfs). */
  readonly failure?: string;
  /** Per-rule resource figures by rule label (rule-resources.ts), from this scan's matches. */
  readonly resources: ReadonlyMap<string, RuleResources>;
}

export interface Scanner {
  scan(): Promise<Observation>;
  /** Later scans use this program; the debounce window restarts (rules may have changed). */
  reprogram(program: ScanProgram): void;
}

const NO_FIGURE: CpuFigures = () => undefined;

/** Process lines per list of every rule the daemon's answers can show (/verdicts in any format,
 * as check's --detail-limit default). */
export const DAEMON_DETAIL_LIMIT = 10;

/** Every rule: the JSON answer lists the matches of rules that hold too. */
const DAEMON_DETAIL: DetailPolicy = { needsDetail: () => true, limit: DAEMON_DETAIL_LIMIT };

export function createScanner(initial: ScanProgram): Scanner {
  let program = initial;
  let previous: Snapshot | undefined;
  let window: Measurement[] = [];
  let seq = 0;
  let boot: { readonly procRoot: string; readonly ms: number | undefined } | undefined;
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
      // A root that went away (unmounted, renamed) fails this scan, not the daemon: no process
      // seen, every rule that could fail unknown, and the next scan tries again.
      let rootProblem = checkProcRoot(setup.procRoot);
      let snapshot: Snapshot;
      if (rootProblem === undefined) {
        try {
          snapshot = await takeSnapshotYielding(setup.procRoot, { plan: resourcePlan(current, figures), readUptime: true, readListening: hasListen(current.rules) });
        } catch (err) {
          // Gone between the check and the listing: the same failure. Anything else is a bug.
          const { code, path } = err as NodeJS.ErrnoException;
          if (typeof code !== "string" || path !== setup.procRoot) throw err;
          rootProblem = { kind: "unreadable", procRoot: setup.procRoot, code };
          snapshot = failedRootSnapshot(rootProblem);
        }
      } else {
        snapshot = failedRootSnapshot(rootProblem);
      }
      // After the scan, so the scan's synchronous reads never delay a probe's connect or banner;
      // cut to one interval, so a slow probe delays the next scan by one interval at most.
      const probesStartNs = process.hrtime.bigint();
      const probeRuns = await runProbes(probeRules(current.rules), { atMs: performance.now() + current.intervalMs, by: "the scan interval" });
      const probesNs = process.hrtime.bigint() - probesStartNs;
      const judgedScan = judge(current.rules, setup, snapshot, figures, probeRuns);
      // restarts= is judged before the debounce, like every other condition. A scan that saw no
      // process (the root failed) teaches the history nothing: every process would restart after it.
      const tracked = rootProblem === undefined ? tracker.update(judgedScan.verdicts, snapshot, setup.cpu.clockTicks) : { verdicts: judgedScan.verdicts, resources: new Map<string, RuleResources>() };
      const raw = { ...judgedScan, verdicts: tracked.verdicts };
      // A reload during the scan started a new window; this scan belongs to the old rules.
      if (current === program) window = slideWindow(window, raw, current.forCycles);
      const judged = current === program ? window : [raw];
      const confirmed = confirmWindow(judged, current.forCycles);
      // Probes are debounced like rules (confirm.ts knows rules, runaways and security checks).
      const debounced = raw.probes === undefined ? confirmed : { ...confirmed, probes: confirmProbes(judged.map((m) => m.probes ?? []), current.forCycles) };
      const measurement = withDetails(debounced, setup, DAEMON_DETAIL);
      if (boot?.procRoot !== setup.procRoot) boot = { procRoot: setup.procRoot, ms: readBootTimeMs(setup.procRoot) };
      // A failed scan is no base for the next CPU window.
      previous = rootProblem === undefined ? snapshot : undefined;
      for (const k of ["vanished", "denied", "parse", "other"] as const) totals[k] += snapshot.skipped[k];
      seq++;
      return {
        seq,
        atMs: snapshot.atMs,
        durationMs: Number(process.hrtime.bigint() - startNs - probesNs) / 1e6,
        measurement,
        ...(boot.ms === undefined ? {} : { bootTimeMs: boot.ms }),
        figures,
        windowSec,
        program: current,
        errorTotals: { ...totals },
        ...(rootProblem === undefined ? {} : { failure: describeProcRootProblem(rootProblem) }),
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
