// Pure: CPU percentages of processes, on the ps/top scale (100 = one full CPU; a multi-threaded
// process can exceed 100). Two bases: "window", the CPU time used between two scans divided by
// the monotonic time between them; "lifetime", CPU time since start divided by age (ps %cpu).
// Processes are joined on pid + start time, so a reused PID never yields a negative or inflated
// figure; a process seen once has no window figure (undefined, never a made-up 0).
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import type { CpuBasis } from "../rules/types.js";

/** A CPU figure for a process, or undefined when there is none. */
export type CpuFigures = (rec: ProcessRecord) => number | undefined;

/** Window figures from a previous snapshot to a scan that started at `nowNs`. Keeps two numbers
 * per process, not the previous records: the figures live as long as the daemon's latest
 * observation, and holding a whole generation of records for them doubled the live heap. */
export function windowFigures(prev: Snapshot, nowNs: bigint, clockTicks: number): CpuFigures {
  const n = prev.processes.length;
  const at = new Map<number, number>();
  // startTicks can pass 2^31 (uptime in ticks), so doubles rather than 32-bit integers.
  const startTicks = new Float64Array(n);
  const cpuTicks = new Float64Array(n);
  prev.processes.forEach((p, i) => {
    at.set(p.pid, i);
    startTicks[i] = p.startTicks;
    cpuTicks[i] = p.cpuTicks;
  });
  const seconds = Number(nowNs - prev.atNs) / 1e9;
  return (rec) => {
    const i = at.get(rec.pid);
    if (i === undefined || startTicks[i] !== rec.startTicks || seconds <= 0) return undefined;
    const used = rec.cpuTicks - (cpuTicks[i] as number);
    // CPU time never runs backwards for one process; a negative delta would be a bug upstream.
    if (used < 0) return undefined;
    return (used / clockTicks / seconds) * 100;
  };
}

/** Lifetime figures: CPU seconds / seconds since the process started. Needs the uptime. */
export function lifetimeFigures(uptimeSec: number | undefined, clockTicks: number): CpuFigures {
  return (rec) => {
    const age = ageSeconds(rec, uptimeSec, clockTicks);
    // Younger than one tick: ps prints Inf; we have no figure.
    if (age === undefined || age < 1 / clockTicks) return undefined;
    return (rec.cpuTicks / clockTicks / age) * 100;
  };
}

/** Seconds since the process started, when the uptime is known. */
export function ageSeconds(rec: ProcessRecord, uptimeSec: number | undefined, clockTicks: number): number | undefined {
  if (uptimeSec === undefined) return undefined;
  const age = uptimeSec - rec.startTicks / clockTicks;
  return age >= 0 ? age : undefined;
}

/** "per-core scale, 5s window" / "per-core scale, lifetime average" */
export function describeBasis(basis: CpuBasis, formatDuration: (ms: number) => string): string {
  return basis.kind === "window" ? `% of one CPU over a ${formatDuration(basis.windowMs)} window` : "% of one CPU, lifetime average";
}
