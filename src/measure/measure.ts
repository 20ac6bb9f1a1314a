// One measurement for a check: one scan step (step.ts), or two a CPU window apart (a stat-only
// baseline, the window's sleep, then the full step). The types a measurement is made of, shared
// with the daemon's scanner (cycle.ts). Reads /proc (and selinuxfs), connects to probed
// services; formats nothing.
import type { CpuBasis } from "../rules/types.js";
import type { CpuScale, RunawayReport, RunawaySettings } from "../evaluate/runaway.js";
import type { SecurityReport, SecuritySettings } from "../evaluate/security.js";
import type { InterpreterSet } from "../evaluate/names.js";
import type { ProbeVerdict } from "../evaluate/probe.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import { takeSnapshot } from "../procfs/snapshot.js";
import type { Snapshot } from "../procfs/types.js";
import type { Rule } from "../rules/types.js";
import { measureStep } from "./step.js";

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

/** A time no probe waits past (clock.ts monotonicMs()), and what set it, for the reason. */
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

/** With `probe: false` the probes are not run (a --recheck scan: one connection per probe per
 * check). `clock` is the monotonic clock CPU windows are measured with. */
export async function measure(rules: readonly Rule[], setup: MeasureSetup, options: { readonly probe?: boolean; readonly clock?: () => bigint } = {}): Promise<Measurement> {
  const clock = options.clock ?? process.hrtime.bigint;
  const basis = setup.cpu?.basis;
  let previous: Snapshot | undefined;
  if (basis?.kind === "window") {
    // The baseline only needs stat (CPU ticks); rules are decided on the step after the window.
    previous = takeSnapshot(setup.procRoot, { checkVisibility: false, clock });
    await new Promise((resolve) => setTimeout(resolve, basis.windowMs));
  }
  const step = await measureStep({ rules, setup, previous, clock, probe: options.probe !== false });
  return step.measurement;
}
