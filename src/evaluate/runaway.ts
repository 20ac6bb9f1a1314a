// Pure: which processes use more CPU than allowed ("runaways"), minus the exempt ones. Ordinary
// users (UID_MIN..UID_MAX) are exempt by default, since they run compressors whenever they like,
// and so are a few programs that are CPU-hungry by design.
import type { CpuBasis } from "../rules/types.js";
import { Field, type FieldMask, type ProcessRecord, type Snapshot } from "../procfs/types.js";
import { ageSeconds, type CpuFigures } from "./cpu.js";
import { countedName, type MatchContext } from "./match.js";

/** Programs meant to eat CPU: volunteer computing and compressors (cron jobs run gzip). */
export const DEFAULT_CPU_EXEMPT: readonly string[] = [
  "boinc", "boinc_client", "gzip", "gunzip", "pigz", "xz", "unxz", "pixz", "bzip2", "pbzip2", "lbzip2",
  "zstd", "pzstd", "lz4", "lzma", "brotli", "7z", "7za",
];

export interface RunawaySettings {
  /** Percent of one CPU above which a process is a runaway. */
  readonly maxPercent: number;
  /** Counted names (byte strings) never reported. */
  readonly exemptNames: ReadonlySet<string>;
  /** Real uids never reported. */
  readonly exemptUids: ReadonlySet<number>;
  /** Real uids in this range are ordinary users, exempt unless the range is absent. */
  readonly normalUsers?: { readonly min: number; readonly max: number };
  /** Offenders listed in detail. */
  readonly top: number;
}

export interface RunawayOffender {
  readonly process: ProcessRecord;
  readonly percent: number;
  /** The name it is counted under (script for interpreters), a byte string. */
  readonly name: string;
  /** Seconds since it started, when the uptime is known. */
  readonly ageSec?: number;
}

export interface RunawayReport {
  readonly settings: RunawaySettings;
  readonly basis: CpuBasis;
  /** Over the limit and not exempt, highest first. */
  readonly offenders: readonly RunawayOffender[];
  /** Over the limit but exempt (by name, user or ordinary-user range). */
  readonly exempted: number;
  /** Processes with a figure. */
  readonly measured: number;
}

/** Fields a process over the limit needs before it can be judged (its user, its script name). */
export function runawayFieldsNeeded(rec: ProcessRecord, figures: CpuFigures, settings: RunawaySettings, ctx: MatchContext): FieldMask {
  const f = figures(rec);
  if (f === undefined || f <= settings.maxPercent || ctx.excluded.has(rec.pid)) return 0;
  const name = countedName(rec, ctx.interpreters);
  return (typeof name === "string" ? 0 : name.kind === "need" ? name.fields : 0) | (Field.status & ~rec.readMask);
}

export interface CpuScale {
  readonly basis: CpuBasis;
  readonly figures: CpuFigures;
  readonly clockTicks: number;
}

export function evaluateRunaway(snapshot: Snapshot, scale: CpuScale, settings: RunawaySettings, ctx: MatchContext): RunawayReport {
  const { figures } = scale;
  const offenders: RunawayOffender[] = [];
  let exempted = 0;
  let measured = 0;
  for (const p of snapshot.processes) {
    if (ctx.excluded.has(p.pid)) continue;
    const percent = figures(p);
    if (percent === undefined) continue;
    measured++;
    if (percent <= settings.maxPercent) continue;
    const counted = countedName(p, ctx.interpreters);
    const name = typeof counted === "string" ? counted : p.comm;
    if (isExempt(p, name, settings)) {
      exempted++;
      continue;
    }
    const ageSec = ageSeconds(p, snapshot.uptimeSec, scale.clockTicks);
    offenders.push({ process: p, percent, name, ...(ageSec === undefined ? {} : { ageSec }) });
  }
  offenders.sort((a, b) => b.percent - a.percent || a.process.pid - b.process.pid);
  return { settings, basis: scale.basis, offenders, exempted, measured };
}

function isExempt(p: ProcessRecord, name: string, settings: RunawaySettings): boolean {
  if (settings.exemptNames.has(name) || settings.exemptNames.has(p.comm)) return true;
  const uid = p.uids?.real;
  if (uid === undefined) return false; // unknown user: report rather than hide
  if (settings.exemptUids.has(uid)) return true;
  const normal = settings.normalUsers;
  return normal !== undefined && uid >= normal.min && uid <= normal.max;
}

/** With --recheck: only processes (pid + start time) that ran away in both measurements. */
export function confirmRunaways(first: RunawayReport, second: RunawayReport): RunawayReport {
  const seen = new Set(first.offenders.map((o) => `${o.process.pid}/${o.process.startTicks}`));
  return { ...second, offenders: second.offenders.filter((o) => seen.has(`${o.process.pid}/${o.process.startTicks}`)) };
}
