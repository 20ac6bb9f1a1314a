// Pure: the security checks (--security): group 0 without user 0, deleted executables, SELinux
// init_t/initrc_t domains and enforcing mode. No I/O: the enforce file is read by the caller.
// Unknown is not ok: a process whose needed field could not be read is undecided, and a check
// with undecided processes and no offenders is "unknown", never a silent pass.
import { Field, type FieldMask, type ProcessRecord, type Snapshot } from "../procfs/types.js";
import type { EnforceReading } from "../procfs/selinuxfs.js";
import { hasNoSecurityModule, NO_SECURITY_MODULE, selinuxLabel } from "./labels.js";
import { countedName, type MatchContext } from "./match.js";
import type { SecurityCheckName } from "../rules/security-checks.js";
import { hiddenProcesses } from "./verdict.js";

export { SECURITY_CHECKS, type SecurityCheckName } from "../rules/security-checks.js";

/**
 * Exe paths never reported by deleted-exe: "/memfd:" is an anonymous memory file (memfd_create),
 * never on disk and so always "(deleted)"; runc re-executes itself from one on every container start.
 */
export const DEFAULT_DELETED_EXE_IGNORE: readonly string[] = ["/memfd:"];

/** Who a check leaves out: by counted name (or comm), or by real uid. */
export interface Exemptions {
  /** Counted names (byte strings). */
  readonly exemptNames: ReadonlySet<string>;
  /** Real uids. */
  readonly exemptUids: ReadonlySet<number>;
}

export interface SecuritySettings extends Exemptions {
  /** Requested checks, in SECURITY_CHECKS order. exemptNames and exemptUids apply to all. */
  readonly checks: readonly SecurityCheckName[];
  /** More exemptions for one check only (the daemon's config), on top of the ones for all. */
  readonly perCheck?: Readonly<Partial<Record<SecurityCheckName, Exemptions>>>;
  /** deleted-exe reports only processes with real uid <= this, when set. */
  readonly deletedExeMaxUid?: number;
  /** deleted-exe ignores exe paths starting with one of these (byte strings). */
  readonly deletedExeIgnore: readonly string[];
}

export type SecurityState = "ok" | "fail" | "unknown" | "not-applicable";

export interface SecurityOffender {
  readonly process: ProcessRecord;
  /** The name it is counted under (script for interpreters), a byte string. */
  readonly name: string;
}

/** A process a check could not decide, and why (e.g. "exe unreadable (EACCES)"). */
export interface SecurityUndecided extends SecurityOffender {
  readonly why: string;
}

export interface SecurityResult {
  readonly check: SecurityCheckName;
  readonly state: SecurityState;
  /** Processes that break the check, in PID order (none for selinux-enforcing). */
  readonly offenders: readonly SecurityOffender[];
  /** Would be offenders, but exempt by name or user. */
  readonly exempted: number;
  /** Processes that could not be checked (Infinity: an unknown number, hidepid=2), and the first
   * reason (e.g. "exe unreadable (EACCES)"). */
  readonly undecided: number;
  readonly undecidedWhy?: string;
  /** The undecided processes that could be listed (not those hidepid hides), in PID order;
   * absent when there are none. */
  readonly undecidedProcesses?: readonly SecurityUndecided[];
  /** Why the check is not applicable, or what it found when there are no processes to name. */
  readonly note?: string;
}

export interface SecurityReport {
  readonly settings: SecuritySettings;
  readonly results: readonly SecurityResult[];
}


function has(settings: SecuritySettings, check: SecurityCheckName): boolean {
  return settings.checks.includes(check);
}

/** Kernel threads, zombies and procwatch itself are never checked. */
function isSkipped(p: ProcessRecord, ctx: MatchContext): boolean {
  return p.isKernelThread || (p.state === "Z" && p.threads <= 1) || ctx.excluded.has(p.pid);
}

/** Fields the requested checks need for this process that are not read yet. */
export function securityFieldsNeeded(rec: ProcessRecord, settings: SecuritySettings, ctx: MatchContext): FieldMask {
  if (rec.isKernelThread || ctx.excluded.has(rec.pid)) return 0;
  let mask = 0;
  if (has(settings, "gid0-not-uid0")) mask |= Field.status;
  if (has(settings, "deleted-exe")) mask |= Field.exe;
  if (has(settings, "selinux-init-t") || has(settings, "selinux-initrc-t")) mask |= Field.label;
  mask &= ~rec.readMask;
  if (mask !== 0) return mask;
  // A likely offender also needs its user (exemptions, detail) and the name it is counted under.
  if (!isCandidate(rec, settings)) return 0;
  const name = countedName(rec, ctx.interpreters);
  return ((typeof name === "string" ? 0 : name.kind === "need" ? name.fields : 0) | Field.status) & ~rec.readMask;
}

/** A process that may be reported or undecided: its real uid can still exempt it. */
function isCandidate(rec: ProcessRecord, settings: SecuritySettings): boolean {
  if (has(settings, "deleted-exe") && (rec.exe?.deleted === true || (rec.unknownMask & Field.exe) !== 0)) return true;
  if ((rec.unknownMask & Field.label) !== 0) return true;
  const type = selinuxLabel(rec)?.domain;
  if (type === "init_t" && has(settings, "selinux-init-t")) return true;
  return type === "initrc_t" && has(settings, "selinux-initrc-t");
}

export function evaluateSecurity(snapshot: Snapshot, settings: SecuritySettings, ctx: MatchContext, enforce?: EnforceReading): SecurityReport {
  const live = snapshot.processes.filter((p) => !isSkipped(p, ctx));
  const hidden = hiddenProcesses(snapshot);
  const results = settings.checks.map((check): SecurityResult => {
    switch (check) {
      case "gid0-not-uid0":
        return processCheck(check, live, hidden, settings, ctx, gid0Verdict);
      case "deleted-exe":
        return processCheck(check, live, hidden, settings, ctx, (p) => deletedExeVerdict(p, settings));
      case "selinux-init-t":
        return selinuxTypeCheck(check, "init_t", live, hidden, settings, ctx);
      case "selinux-initrc-t":
        return selinuxTypeCheck(check, "initrc_t", live, hidden, settings, ctx);
      case "selinux-enforcing":
        return enforcingCheck(enforce);
    }
  });
  return { settings, results };
}

/** What one check says of one process: offends, is fine, or could not be checked (and why). */
type ProcessVerdict = "offends" | "fine" | { readonly undecided: string };

function gid0Verdict(p: ProcessRecord): ProcessVerdict {
  if (p.uids === undefined || p.gids === undefined) return { undecided: `ids unreadable (${p.unknownWhy?.status ?? "unknown"})` };
  const { uids, gids } = p;
  const hasGid0 = gids.real === 0 || gids.effective === 0 || gids.saved === 0;
  return hasGid0 && uids.real !== 0 && uids.effective !== 0 ? "offends" : "fine";
}

function deletedExeVerdict(p: ProcessRecord, settings: SecuritySettings): ProcessVerdict {
  const max = settings.deletedExeMaxUid;
  if (max !== undefined && p.uids !== undefined && p.uids.real > max) return "fine";
  if (p.exe === undefined) return p.hasNoExe === true ? "fine" : { undecided: `exe unreadable (${p.unknownWhy?.exe ?? "unknown"})` };
  if (!p.exe.deleted || settings.deletedExeIgnore.some((prefix) => p.exe?.path.startsWith(prefix))) return "fine";
  // Over the ceiling or not? Without the uid we cannot say: report rather than hide.
  return "offends";
}

type Hidden = ReturnType<typeof hiddenProcesses>;

function processCheck(check: SecurityCheckName, live: readonly ProcessRecord[], hidden: Hidden, settings: SecuritySettings, ctx: MatchContext,
  verdict: (p: ProcessRecord) => ProcessVerdict): SecurityResult {
  const offenders: SecurityOffender[] = [];
  const unknowns: SecurityUndecided[] = [];
  let exempted = 0;
  for (const p of live) {
    const v = verdict(p);
    if (v === "fine") continue;
    const name = nameOf(p, ctx);
    if (isExempt(p, name, settings, check)) exempted++;
    else if (v === "offends") offenders.push({ process: p, name });
    else unknowns.push({ process: p, name, why: v.undecided });
  }
  return finish(check, offenders, exempted, unknowns, hidden);
}

/** init_t: more than one process (only init itself belongs there); initrc_t: any process. */
function selinuxTypeCheck(check: SecurityCheckName, type: "init_t" | "initrc_t", live: readonly ProcessRecord[], hidden: Hidden, settings: SecuritySettings, ctx: MatchContext): SecurityResult {
  let inType: SecurityOffender[] = [];
  const unknowns: SecurityUndecided[] = [];
  let exempted = 0;
  let selinux = 0;
  let otherModule = 0;
  for (const p of live) {
    if (p.labels === undefined) {
      if (hasNoSecurityModule(p)) continue; // a fact of the host, not of the process
      unknowns.push({ process: p, name: nameOf(p, ctx), why: `label unreadable (${p.unknownWhy?.label ?? "unknown"})` });
      continue;
    }
    const label = selinuxLabel(p);
    if (label === undefined) {
      otherModule++;
      continue;
    }
    selinux++;
    if (label.domain !== type) continue;
    const name = nameOf(p, ctx);
    if (isExempt(p, name, settings, check)) exempted++;
    else inType.push({ process: p, name });
  }
  if (selinux === 0 && unknowns.length === 0) {
    const note = otherModule > 0 ? "not applicable (SELinux not active: labels are from another security module)" : `not applicable (${NO_SECURITY_MODULE})`;
    return { check, state: "not-applicable", offenders: [], exempted: 0, undecided: 0, note };
  }
  // PID 1 is where init_t belongs: a second process is the finding, not init itself.
  if (type === "init_t") inType = inType.length > 1 ? inType.filter((o) => o.process.pid !== 1) : [];
  return finish(check, inType, exempted, unknowns, hidden);
}

function enforcingCheck(enforce: EnforceReading | undefined): SecurityResult {
  const base = { check: "selinux-enforcing" as const, offenders: [], exempted: 0, undecided: 0 };
  if (enforce === undefined || enforce.kind === "absent") {
    const where = enforce === undefined ? "" : `: no ${enforce.path}`;
    return { ...base, state: "not-applicable", note: `not applicable (SELinux not active${where})` };
  }
  if (enforce.kind === "unknown") return { ...base, state: "unknown", note: `${enforce.path} unreadable (${enforce.why})` };
  return enforce.enforcing ? { ...base, state: "ok", note: "enforcing" } : { ...base, state: "fail", note: "SELinux is permissive (enforce reads 0)" };
}

function finish(check: SecurityCheckName, offenders: SecurityOffender[], exempted: number, unknowns: readonly SecurityUndecided[], hidden: Hidden): SecurityResult {
  return result(check, offenders, exempted, unknowns.length + hidden.count, unknowns[0]?.why ?? hidden.why, unknowns);
}

function result(check: SecurityCheckName, offenders: SecurityOffender[], exempted: number, undecided: number, undecidedWhy: string | undefined,
  unknowns: readonly SecurityUndecided[]): SecurityResult {
  const state: SecurityState = offenders.length > 0 ? "fail" : undecided > 0 ? "unknown" : "ok";
  return {
    check, state, offenders, exempted, undecided,
    ...(undecidedWhy === undefined ? {} : { undecidedWhy }),
    ...(unknowns.length === 0 ? {} : { undecidedProcesses: unknowns }),
  };
}

function nameOf(p: ProcessRecord, ctx: MatchContext): string {
  const counted = countedName(p, ctx.interpreters);
  return typeof counted === "string" ? counted : p.comm;
}

/** Exempt from `check`: by the exemptions for all checks, or by that check's own. */
function isExempt(p: ProcessRecord, name: string, settings: SecuritySettings, check: SecurityCheckName): boolean {
  const own = settings.perCheck?.[check];
  return matchesExemption(p, name, settings) || (own !== undefined && matchesExemption(p, name, own));
}

function matchesExemption(p: ProcessRecord, name: string, e: Exemptions): boolean {
  if (e.exemptNames.has(name) || e.exemptNames.has(p.comm)) return true;
  const uid = p.uids?.real;
  return uid !== undefined && e.exemptUids.has(uid); // unknown user: report rather than hide
}

/**
 * With --recheck: only offenders (pid + start time) found by both measurements, and a permissive
 * SELinux only when it was permissive both times.
 */
export function confirmSecurity(first: SecurityReport, second: SecurityReport): SecurityReport {
  const results = second.results.map((r, i) => {
    const before = first.results[i];
    if (r.check === "selinux-enforcing") return r.state === "fail" && before?.state !== "fail" ? { ...r, state: "ok" as const } : r;
    const seen = new Set((before?.offenders ?? []).map((o) => `${o.process.pid}/${o.process.startTicks}`));
    const offenders = r.offenders.filter((o) => seen.has(`${o.process.pid}/${o.process.startTicks}`));
    if (r.state === "not-applicable") return r;
    return { ...r, ...result(r.check, offenders, r.exempted, r.undecided, r.undecidedWhy, r.undecidedProcesses ?? []) };
  });
  return { ...second, results };
}
