// The few fields only detail lines show (user, exe and counted name of listed processes, who
// holds a port a listen= rule wanted), read right after a scan is judged, for the processes an
// answer will list and no others, so every answer about the scan tells the same story and no
// formatter or HTTP request reads /proc. Reads /proc.
import { countedName } from "../evaluate/match.js";
import type { InterpreterSet } from "../evaluate/names.js";
import type { RunawayReport } from "../evaluate/runaway.js";
import type { SecurityReport } from "../evaluate/security.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import { findSocketHolders } from "../procfs/fd.js";
import { readMoreFields, readOneProcess } from "../procfs/snapshot.js";
import { Field, type ListeningSocket, type ProcessRecord } from "../procfs/types.js";
import type { Measurement } from "./measure.js";

const DETAIL_FIELDS = Field.status | Field.exe;

/**
 * Which verdicts an answer lists processes of, and how many: at most `limit` of each list of a
 * rule (matches, undecided, near misses) and of each security check (offenders, undecided).
 * Every format shows at most that many (mon and Nagios fewer: `limit` in all per rule).
 */
export interface DetailPolicy {
  readonly needsDetail: (v: RuleVerdict) => boolean;
  readonly limit: number;
}

/** Where the detail fields are read, and how names are counted (interpreters: the script). */
export interface DetailSource {
  readonly procRoot: string;
  readonly interpreters: InterpreterSet;
}

/** The measurement with the detail fields of the processes the answer will list. */
export function withDetails(m: Measurement, source: DetailSource, policy: DetailPolicy): Measurement {
  const more = (p: ProcessRecord): ProcessRecord => describedProcess(p, source);
  return {
    ...m,
    verdicts: m.verdicts.map((v) => (policy.needsDetail(v) ? withDetailFields(v, more, source.procRoot, policy.limit) : v)),
    ...(m.runaway === undefined ? {} : { runaway: withOffenderFields(m.runaway, source.procRoot) }),
    ...(m.security === undefined ? {} : { security: withSecurityFields(m.security, more, policy.limit) }),
  };
}

/** User, exe (and for an interpreter its command line) read, and the name it is counted by. */
function describedProcess(p: ProcessRecord, source: DetailSource): ProcessRecord {
  const isInterp = !p.isKernelThread && source.interpreters.has(p.comm);
  const rec = readMoreFields(source.procRoot, p, DETAIL_FIELDS | (isInterp ? Field.cmdline : 0));
  const counted = countedName(rec, source.interpreters);
  // Undecidable (cmdline unreadable): known by its comm, as the rules saw it.
  return { ...rec, countedName: typeof counted === "string" ? counted : rec.comm };
}

/** The first `limit` items through `f`, the rest as they are (no answer shows them). */
function firstThrough<T>(items: readonly T[], limit: number, f: (x: T) => T): T[] {
  return items.map((x, i) => (i < limit ? f(x) : x));
}

/** User and exe of the security offenders and undecided processes the detail will list. */
function withSecurityFields(report: SecurityReport, more: (p: ProcessRecord) => ProcessRecord, limit: number): SecurityReport {
  return {
    ...report,
    results: report.results.map((r) => ({
      ...r,
      offenders: firstThrough(r.offenders, limit, (o) => ({ ...o, process: more(o.process) })),
      ...(r.undecidedProcesses === undefined ? {} : { undecidedProcesses: firstThrough(r.undecidedProcesses, limit, (u) => ({ ...u, process: more(u.process) })) }),
    })),
  };
}

/** Detail fields of the first processes of each list of a rule (and of the matches outside its
 * rss=/fds=/threads=/age= limits, which detail lines list first), and the holders of its port. */
function withDetailFields(v: RuleVerdict, more: (p: ProcessRecord) => ProcessRecord, procRoot: string, limit: number): RuleVerdict {
  const l = v.limits;
  const first = new Set([...(l?.violations ?? []).slice(0, limit), ...(l?.unknowns ?? []).slice(0, limit)].map((x) => x.process.pid));
  const matches = v.matches.map((p, i) => (i < limit || first.has(p.pid) ? more(p) : p));
  const detailed = new Map(matches.map((p) => [p.pid, p]));
  const same = (p: ProcessRecord): ProcessRecord => detailed.get(p.pid) ?? p;
  return withListenHolders({
    ...v,
    matches,
    ...(l === undefined ? {} : {
      limits: { ...l, violations: l.violations.map((x) => ({ ...x, process: same(x.process) })), unknowns: l.unknowns.map((x) => ({ ...x, process: same(x.process) })) },
    }),
    unknowns: firstThrough(v.unknowns, limit, (u) => ({ ...u, process: more(u.process) })),
    nearMisses: firstThrough(v.nearMisses, limit, (n) => ({ ...n, process: more(n.process) })),
  }, procRoot, more);
}

/** Holders the detail of a port names at most (prefork servers hold one socket many times). */
const MAX_HOLDERS = 200;

/**
 * For a listen= rule that did not hold, which processes hold the sockets listening on its port:
 * the fd links of every process, so only for a failing rule's detail, after the pass over the
 * processes (which reads fd links only of the processes a listen= rule could count).
 */
function withListenHolders(v: RuleVerdict, procRoot: string, more: (p: ProcessRecord) => ProcessRecord): RuleVerdict {
  const report = v.listen;
  if (report === undefined || v.state === "ok" || "error" in report.sockets || report.sockets.length === 0) return v;
  const byInode = new Map(report.sockets.map((s) => [s.inode, s]));
  const found = findSocketHolders(procRoot, new Set(byInode.keys()));
  const holders: { process: ProcessRecord; socket: ListeningSocket }[] = [];
  for (const h of found.holders.slice(0, MAX_HOLDERS)) {
    const process = readOneProcess(procRoot, h.pid, DETAIL_FIELDS);
    const socket = byInode.get(h.inode);
    if (process !== undefined && socket !== undefined) holders.push({ process: more(process), socket });
  }
  return { ...v, listen: { ...report, holders, unreadableHolders: found.unreadable } };
}

/** User, exe and command line of the offenders the detail will list, under their counted name. */
function withOffenderFields(report: RunawayReport, procRoot: string): RunawayReport {
  const fields = DETAIL_FIELDS | Field.cmdline;
  return {
    ...report,
    offenders: firstThrough(report.offenders, report.settings.top, (o) => ({ ...o, process: { ...readMoreFields(procRoot, o.process, fields), countedName: o.name } })),
  };
}
