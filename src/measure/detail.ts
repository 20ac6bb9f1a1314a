// The few fields only detail lines show (user and exe of listed processes, who holds a port a
// listen= rule wanted), read for the processes an answer will list and no others. Reads /proc.
import type { RunawayReport } from "../evaluate/runaway.js";
import type { SecurityReport } from "../evaluate/security.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import { findSocketHolders } from "../procfs/fd.js";
import { readMore, readProcess1 } from "../procfs/snapshot.js";
import { Field, type ListeningSocket, type ProcessRecord } from "../procfs/types.js";
import type { Measurement } from "./measure.js";

const DETAIL_FIELDS = Field.status | Field.exe;

/** Which verdicts an answer lists processes of, and how many per rule (and per security check). */
export interface DetailPolicy {
  readonly needsDetail: (v: RuleVerdict) => boolean;
  readonly limit: number;
  readonly securityLimit: number;
}

/** The measurement with the detail fields of the processes the answer will list. */
export function withDetails(m: Measurement, procRoot: string, policy: DetailPolicy): Measurement {
  return {
    ...m,
    verdicts: withDetailFields(m.verdicts, procRoot, policy),
    ...(m.runaway === undefined ? {} : { runaway: withOffenderFields(m.runaway, procRoot) }),
    ...(m.security === undefined ? {} : { security: withSecurityFields(m.security, procRoot, policy.securityLimit) }),
  };
}

/** User and exe of the security offenders the detail will list. */
function withSecurityFields(report: SecurityReport, procRoot: string, limit: number): SecurityReport {
  return {
    ...report,
    results: report.results.map((r) => ({
      ...r,
      offenders: r.offenders.map((o, i) => (i < limit ? { ...o, process: readMore(procRoot, o.process, DETAIL_FIELDS) } : o)),
    })),
  };
}

/** Reads user and exe for the processes that detail lines will show (failing rules only). */
function withDetailFields(verdicts: readonly RuleVerdict[], procRoot: string, policy: DetailPolicy): RuleVerdict[] {
  const more = (p: ProcessRecord): ProcessRecord => readMore(procRoot, p, DETAIL_FIELDS);
  return verdicts.map((v) => {
    if (!policy.needsDetail(v)) return v;
    let budget = policy.limit;
    const take = <T>(items: readonly T[], f: (x: T) => T): T[] => items.map((x) => (budget-- > 0 ? f(x) : x));
    return withListenHolders({
      ...v,
      matches: take(v.matches, more),
      unknowns: take(v.unknowns, (u) => ({ ...u, process: more(u.process) })),
      nearMisses: take(v.nearMisses, (n) => ({ ...n, process: more(n.process) })),
    }, procRoot);
  });
}

/** Holders the detail of a port names at most (prefork servers hold one socket many times). */
const MAX_HOLDERS = 200;

/**
 * For a listen= rule that did not hold, which processes hold the sockets listening on its port:
 * the fd links of every process, so only here, for a failing rule's detail, never in the scan.
 */
function withListenHolders(v: RuleVerdict, procRoot: string): RuleVerdict {
  const report = v.listen;
  if (report === undefined || v.state === "ok" || "error" in report.sockets || report.sockets.length === 0) return v;
  const byInode = new Map(report.sockets.map((s) => [s.inode, s]));
  const found = findSocketHolders(procRoot, new Set(byInode.keys()));
  const holders: { process: ProcessRecord; socket: ListeningSocket }[] = [];
  for (const h of found.holders.slice(0, MAX_HOLDERS)) {
    const process = readProcess1(procRoot, h.pid, DETAIL_FIELDS);
    const socket = byInode.get(h.inode);
    if (process !== undefined && socket !== undefined) holders.push({ process, socket });
  }
  return { ...v, listen: { ...report, holders, unreadableHolders: found.unreadable } };
}

/** User, exe and command line of the offenders the detail will list. */
function withOffenderFields(report: RunawayReport, procRoot: string): RunawayReport {
  const fields = DETAIL_FIELDS | Field.cmdline;
  return {
    ...report,
    offenders: report.offenders.map((o, i) => (i < report.settings.top ? { ...o, process: readMore(procRoot, o.process, fields) } : o)),
  };
}
