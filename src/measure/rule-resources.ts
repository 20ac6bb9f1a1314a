// The daemon's memory of what each rule matched, scan to scan: per-rule resource figures (gauges
// from this scan's matches, counters kept monotonic across member exits) and the start times
// restarts= judges. Counters work like process-exporter's grouper: a member seen in the previous
// scan adds what it used since; a new member adds its whole lifetime figure; a member that left
// takes nothing back. Keyed by the rule's text, so a reload keeps the counters of unchanged rules.
import { evaluateRestarts, withRestarts } from "../evaluate/restarts.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { ResourceGroup } from "../config/types.js";
import { matchRule, type MatchContext } from "../evaluate/match.js";
import { indexRules } from "../evaluate/rule-index.js";
import type { ScanPlan } from "../procfs/snapshot.js";
import { Field, type FieldMask, type ProcessRecord, type Snapshot } from "../procfs/types.js";
import { countRules } from "../rules/list.js";
import type { Rule } from "../rules/types.js";

/** One rule's figures after a scan; a figure no matched process gave is 0 (nothing matched). */
export interface RuleResources {
  readonly processes: number;
  /** Resident memory, bytes: the sum and the largest process (VmRSS). */
  readonly memoryBytes: number;
  readonly memoryMaxBytes: number;
  readonly threads: number;
  /** Open fds summed; the highest open/soft-limit ratio of one process (0 without a limit). */
  readonly fds: number;
  readonly fdUtilizationMax: number;
  /** Start times of the oldest and newest matched process, seconds since the epoch (0: none). */
  readonly oldestStartSec: number;
  readonly newestStartSec: number;
  /** Counters since the daemon started (or the rule appeared). CPU in seconds. */
  readonly cpuUserSec: number;
  readonly cpuSystemSec: number;
  readonly majorFaults: number;
  readonly voluntarySwitches: number;
  readonly involuntarySwitches: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  /** New identities matched after the rule's first scan. */
  readonly starts: number;
}

/** Fields the groups need from each process a rule matched. */
export function resourceFields(groups: readonly ResourceGroup[]): FieldMask {
  let mask = 0;
  if (groups.includes("memory") || groups.includes("context_switches")) mask |= Field.status;
  if (groups.includes("fds")) mask |= Field.fds;
  if (groups.includes("io")) mask |= Field.io;
  return mask;
}

/** Adds `fields` to what `plan` reads, for the processes some rule matches (decided as the plan's
 * rounds read what matching needs); other processes pay nothing. */
export function withResourceFields(plan: ScanPlan, rules: readonly Rule[], ctx: MatchContext, fields: FieldMask): ScanPlan {
  const counts = countRules(rules);
  if (fields === 0 || counts.length === 0) return plan;
  // Only the rules the index names for a process can match it: most processes try none.
  const index = indexRules(counts, ctx.interpreters);
  return (rec) => {
    const mask = plan(rec);
    if (mask & ~rec.readMask) return mask; // matching still needs reads: decide first
    return index.candidates(rec).some((i) => matchRule(counts[i] as (typeof counts)[number], rec, ctx).kind === "yes") ? mask | fields : mask;
  };
}

interface Sample {
  /** With the PID the member's key: identity is pid + start time. */
  readonly startTicks: number;
  readonly utime: number;
  readonly stime: number;
  readonly majflt: number;
  readonly vol: number;
  readonly invol: number;
  readonly read: number;
  readonly write: number;
}

interface Totals {
  user: number;
  system: number;
  majflt: number;
  vol: number;
  invol: number;
  read: number;
  write: number;
  starts: number;
}

interface RuleHistory {
  /** By PID (a number key: no string per member per scan, for rules matching thousands); a
   * sample counts only for the same start time. */
  members: Map<number, Sample>;
  readonly totals: Totals;
  /** Start times (ms) of recent starts, pruned to the longest window restarts= can ask for. */
  startTimesMs: number[];
}

/** At most one day of starts is remembered (restarts= windows are at most a day), and at most
 * this many: a rule matching a fork bomb must not grow the daemon without bound. */
const MAX_REMEMBERED_STARTS = 10_000;
const DAY_MS = 86_400_000;

export interface ResourceTracker {
  /** Updates the history with one scan's (unconfirmed) verdicts; returns them with restarts=
   * judged, and each rule's figures by rule label. */
  update(verdicts: readonly RuleVerdict[], snapshot: Snapshot, clockTicks: number): { verdicts: RuleVerdict[]; resources: ReadonlyMap<string, RuleResources> };
}

export function createResourceTracker(): ResourceTracker {
  let histories = new Map<string, RuleHistory>();
  return {
    update(verdicts, snapshot, clockTicks) {
      const bootMs = snapshot.uptimeSec === undefined ? undefined : snapshot.atMs - snapshot.uptimeSec * 1000;
      const next = new Map<string, RuleHistory>();
      const resources = new Map<string, RuleResources>();
      const judged = verdicts.map((v) => {
        const label = v.rule.label;
        // The same rule written twice matches the same processes: advance its history once.
        const history = next.get(label) ?? advance(histories.get(label), v.matches, bootMs, snapshot.atMs, clockTicks);
        next.set(label, history);
        resources.set(label, figures(v.matches, history.totals, bootMs, clockTicks));
        const limit = v.rule.limits?.restarts;
        return limit === undefined ? v : withRestarts(v, evaluateRestarts(limit, history.startTimesMs, snapshot.atMs));
      });
      histories = next;
      return { verdicts: judged, resources };
    },
  };
}

function sampleOf(p: ProcessRecord): Sample {
  return {
    startTicks: p.startTicks,
    utime: p.utimeTicks, stime: p.stimeTicks, majflt: p.majorFaults,
    vol: p.contextSwitches?.voluntary ?? 0, invol: p.contextSwitches?.involuntary ?? 0,
    read: p.io?.readBytes ?? 0, write: p.io?.writeBytes ?? 0,
  };
}

function advance(seen: RuleHistory | undefined, matches: readonly ProcessRecord[], bootMs: number | undefined, nowMs: number, clockTicks: number): RuleHistory {
  const totals: Totals = seen === undefined ? { user: 0, system: 0, majflt: 0, vol: 0, invol: 0, read: 0, write: 0, starts: 0 } : seen.totals;
  const members = new Map<number, Sample>();
  const newStarts: number[] = [];
  for (const p of matches) {
    const now = sampleOf(p);
    const last = seen?.members.get(p.pid);
    // A reused PID is another process: the old one's figures are not its baseline.
    const before = last?.startTicks === p.startTicks ? last : undefined;
    // A figure that went down (an unreadable status this scan) adds nothing rather than a negative.
    const add = (k: keyof Sample): number => Math.max(0, now[k] - (before?.[k] ?? 0));
    totals.user += add("utime");
    totals.system += add("stime");
    totals.majflt += add("majflt");
    totals.vol += add("vol");
    totals.invol += add("invol");
    totals.read += add("read");
    totals.write += add("write");
    if (before === undefined && seen !== undefined) {
      totals.starts++;
      newStarts.push(bootMs === undefined ? nowMs : bootMs + (p.startTicks / clockTicks) * 1000);
    }
    members.set(p.pid, now);
  }
  const kept = (seen?.startTimesMs ?? []).filter((t) => t > nowMs - DAY_MS);
  return { members, totals, startTimesMs: [...kept, ...newStarts].slice(-MAX_REMEMBERED_STARTS) };
}

function figures(matches: readonly ProcessRecord[], t: Totals, bootMs: number | undefined, clockTicks: number): RuleResources {
  let memory = 0;
  let memoryMax = 0;
  let threads = 0;
  let fds = 0;
  let fdMax = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  for (const p of matches) {
    const rss = (p.rssKib ?? 0) * 1024;
    memory += rss;
    memoryMax = Math.max(memoryMax, rss);
    threads += p.threads;
    if (p.fds !== undefined) {
      fds += p.fds.open;
      if (p.fds.softLimit !== undefined && p.fds.softLimit > 0) fdMax = Math.max(fdMax, p.fds.open / p.fds.softLimit);
    }
    oldest = Math.min(oldest, p.startTicks);
    newest = Math.max(newest, p.startTicks);
  }
  const startSec = (ticks: number): number => (bootMs === undefined || !Number.isFinite(ticks) ? 0 : bootMs / 1000 + ticks / clockTicks);
  return {
    processes: matches.length,
    memoryBytes: memory, memoryMaxBytes: memoryMax, threads, fds, fdUtilizationMax: fdMax,
    oldestStartSec: startSec(oldest), newestStartSec: startSec(newest),
    cpuUserSec: t.user / clockTicks, cpuSystemSec: t.system / clockTicks,
    majorFaults: t.majflt, voluntarySwitches: t.vol, involuntarySwitches: t.invol,
    readBytes: t.read, writeBytes: t.write, starts: t.starts,
  };
}
