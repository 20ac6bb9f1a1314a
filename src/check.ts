// One-shot check: parse rules, measure (scan, CPU window, probes), evaluate, format. Runs inside
// the scan child (see supervise.ts) so a /proc read that blocks forever can be ended by the
// parent's deadline. Owns no process-wide state: returns the text and exit code, never prints or exits.
import { type Accounts, readAccounts, readNormalUidRange } from "./accounts.js";
import type { CpuBasis } from "./evaluate/cpu.js";
import { countedName } from "./evaluate/match.js";
import { DEFAULT_INTERPRETERS, type InterpreterSet, makeInterpreterSet } from "./evaluate/names.js";
import { confirmRunaways, DEFAULT_CPU_EXEMPT, type RunawayReport, type RunawaySettings } from "./evaluate/runaway.js";
import { confirmSecurity, DEFAULT_DELETED_EXE_IGNORE, type Exemptions, type SecurityCheckName, type SecurityReport, type SecuritySettings } from "./evaluate/security.js";
import { confirmFailures, type RuleVerdict } from "./evaluate/verdict.js";
import { measure, type Measurement, type MeasureSetup } from "./measure.js";
import { findSocketHolders } from "./procfs/fd.js";
import { formatExplainProcess, formatExplainRules } from "./output/explain.js";
import { escapeText } from "./output/escape.js";
import type { CheckOutcome, Formatted } from "./output/format.js";
import { formatJson } from "./output/json.js";
import { capOutput, formatMon } from "./output/mon.js";
import { formatNagios, formatNagiosUnknown, nagiosState } from "./output/nagios.js";
import { securityStatus } from "./output/security.js";
import { readClockTicks } from "./procfs/clock.js";
import { readMore, readProcess1 } from "./procfs/snapshot.js";
import { Field, type ListeningSocket, type ProcessRecord } from "./procfs/types.js";
import { formatDuration } from "./rules/duration.js";
import { countRules, parseRuleArgs } from "./rules/list.js";
import { toBytes } from "./rules/pattern.js";
import type { Rule } from "./rules/types.js";

export type OutputFormat = "mon" | "json" | "nagios";

/** CPU settings of a check: the runaway limit (off when absent) and how CPU is measured. */
export interface CpuRequest {
  readonly maxPercent?: number;
  readonly basis: CpuBasis;
  readonly exemptNames: readonly string[];
  readonly exemptUsers: readonly string[];
  readonly includeNormalUsers: boolean;
  readonly defaultExempt: boolean;
  readonly top: number;
  /** CLK_TCK override (a /proc tree captured elsewhere); default: getconf CLK_TCK. */
  readonly clockTicks?: number;
}

/** Security checks of a check (--security); exemptNames/exemptUsers apply to every check, perCheck to one. */
export interface SecurityRequest {
  readonly checks: readonly SecurityCheckName[];
  readonly exemptNames: readonly string[];
  readonly exemptUsers: readonly string[];
  readonly deletedExeMaxUid?: number;
  /** Extra exe path prefixes deleted-exe ignores (the defaults always apply). */
  readonly deletedExeIgnore: readonly string[];
  /** Where selinuxfs is mounted (selinux-enforcing reads <dir>/enforce). */
  readonly selinuxfs: string;
  /** Exemptions for one check only (the daemon's config), on top of the ones above. */
  readonly perCheck?: Readonly<Partial<Record<SecurityCheckName, CheckExemptions>>>;
}

export interface CheckExemptions {
  readonly exemptNames: readonly string[];
  readonly exemptUsers: readonly string[];
}

export interface CheckRequest {
  readonly mode: "check" | "explain-rules" | "explain-pid";
  readonly rules: readonly string[];
  readonly procRoot: string;
  readonly format: OutputFormat;
  readonly recheckMs?: number;
  readonly interpreters?: readonly string[];
  readonly detailLimit?: number;
  readonly pid?: number;
  readonly cpu?: CpuRequest;
  readonly security?: SecurityRequest;
  /** PIDs whose whole subtree is procwatch itself (the CLI and this scanner): never counted. */
  readonly excludeRoots: readonly number[];
  /** The supervisor's --timeout, when the caller passes it: probes then end before it (their
   * timeout= is cut short to what is left), so a hung service reads as a probe timeout, not as
   * a check that timed out. */
  readonly timeoutMs?: number;
}

export interface CheckDeps {
  readonly accounts?: Accounts;
  /** Where login.defs lives (ordinary-user range); default /etc. */
  readonly etcDir?: string;
}

const DETAIL_FIELDS = Field.status | Field.exe;

export async function runCheck(req: CheckRequest, deps: CheckDeps = {}): Promise<Formatted> {
  const startedMs = performance.now();
  const accounts = deps.accounts ?? readAccounts();
  const interpreters = makeInterpreterSet(req.interpreters ?? DEFAULT_INTERPRETERS);
  if (req.mode === "explain-pid") return explainPid(req, interpreters, accounts);

  const parsed = parseRuleArgs(req.rules, accounts);
  if (parsed.errors.length > 0) {
    const lines = parsed.errors.map((e) => `Can't parse "${escapeText(e.token)}": ${escapeText(e.reason)}`);
    if (req.format === "json") {
      return formatJsonError(parsed.errors.map((e) => ({ argument: e.source.line, token: escapeText(e.token), reason: escapeText(e.reason) })));
    }
    if (req.format === "nagios") {
      // A bad rule is a usage error: UNKNOWN with the first error on line 1, all of them below.
      const raw = parsed.errors.map((e) => `Can't parse "${e.token}": ${e.reason}`);
      return formatNagiosUnknown(raw[0] as string, raw.length > 1 ? raw : []);
    }
    return { text: capOutput(lines, 16 * 1024), exitCode: 1 };
  }
  const rules = parsed.rules;
  const prepared = prepareSetup(req, rules, interpreters, accounts, { etcDir: deps.etcDir });
  if (typeof prepared === "string") return usageError(prepared, req.format);
  const setup: MeasureSetup = req.timeoutMs === undefined ? prepared : { ...prepared, probeDeadline: { atMs: startedMs + req.timeoutMs - probeMarginMs(req.timeoutMs), by: "--timeout" } };
  // mon passes when nothing is asked; a Nagios service with nothing to check is misconfigured.
  if (req.format === "nagios" && rules.length === 0 && setup.cpu?.runaway === undefined && setup.security === undefined) {
    return formatNagiosUnknown("no rules given (usage: procwatch check --format nagios RULE...)");
  }

  let m: Measurement;
  try {
    m = await measure(rules, setup);
  } catch (err) {
    const unreadable = unreadableRoot(err, req);
    if (unreadable === undefined) throw err;
    return unreadable;
  }
  const notes: string[] = [];
  if (req.mode === "check" && req.recheckMs !== undefined && !isAllClean(m, req.format)) {
    await new Promise((resolve) => setTimeout(resolve, req.recheckMs));
    // Probes are not repeated: never more than one connection per probe per check.
    const second = await measure(rules, setup, { probe: false });
    m = {
      ...second,
      ...(m.probes === undefined ? {} : { probes: m.probes }),
      verdicts: confirmFailures(m.verdicts, second.verdicts),
      ...(m.runaway === undefined || second.runaway === undefined ? {} : { runaway: confirmRunaways(m.runaway, second.runaway) }),
      ...(m.security === undefined || second.security === undefined ? {} : { security: confirmSecurity(m.security, second.security) }),
    };
    notes.push(`(failed in two scans ${formatDuration(req.recheckMs)} apart; counts from the second${m.probes === undefined ? "" : "; probes from the first, never repeated"})`);
  }
  if (req.mode === "explain-rules") return formatExplainRules(withDetailFields(m.verdicts, req, Infinity), accounts, m.probes);
  return formatMeasurement(m, req, accounts, notes);
}

/** Time kept after the probes for judging, formatting and answering before the supervisor's kill. */
function probeMarginMs(timeoutMs: number): number {
  return Math.min(250, timeoutMs / 5);
}

/** A measurement in the requested output format; reads the few extra fields detail lines show.
 * The daemon serves its latest scan through this too (/verdicts). */
export function formatMeasurement(
  m: Measurement,
  req: Pick<CheckRequest, "mode" | "format" | "procRoot" | "detailLimit">,
  accounts: Accounts,
  notes: readonly string[],
): Formatted {
  const outcome: CheckOutcome = {
    verdicts: withDetailFields(m.verdicts, req, req.detailLimit ?? 10),
    ...(m.runaway === undefined ? {} : { runaway: withOffenderFields(m.runaway, req) }),
    ...(m.scale === undefined ? {} : { cpuBasis: m.scale.basis }),
    ...(m.security === undefined ? {} : { security: withSecurityFields(m.security, req, req.format === "json" ? Infinity : req.detailLimit ?? 10) }),
    ...(m.probes === undefined ? {} : { probes: m.probes }),
  };
  if (req.format === "json") return formatJson(outcome, m.snapshot, accounts);
  if (req.format === "nagios") return formatNagios(outcome, { names: accounts, detailLimit: req.detailLimit ?? 10, notes: [...notes] });
  return formatMon(outcome, { names: accounts, detailLimit: req.detailLimit ?? 10, notes: [...notes] });
}

/** What a measurement needs, from a request's settings: users resolved, CLK_TCK known. Shared
 * with the daemon, which measures CPU always (every rule publishes its CPU). A string is a usage
 * error naming the flag or setting. */
export function prepareSetup(
  req: Pick<CheckRequest, "procRoot" | "cpu" | "security" | "excludeRoots">,
  rules: readonly Rule[],
  interpreters: InterpreterSet,
  accounts: Accounts,
  options: { readonly etcDir?: string | undefined; readonly alwaysMeasureCpu?: boolean } = {},
): MeasureSetup | string {
  const etcDir = options.etcDir;
  const runaway = req.cpu?.maxPercent === undefined ? undefined : runawaySettings(req.cpu, req.cpu.maxPercent, accounts, etcDir);
  if (typeof runaway === "string") return runaway;
  const security = req.security === undefined ? undefined : securitySettings(req.security, accounts);
  if (typeof security === "string") return security;
  const needsCpu = options.alwaysMeasureCpu === true || runaway !== undefined || countRules(rules).some((r) => r.cpu !== undefined);
  let clockTicks: number | undefined;
  try {
    clockTicks = needsCpu ? req.cpu?.clockTicks ?? readClockTicks() : undefined;
  } catch (err) {
    return `cannot determine CLK_TCK (${(err as Error).message}); give --clock-ticks`;
  }
  return {
    procRoot: req.procRoot,
    interpreters,
    excludeRoots: req.excludeRoots,
    ...(security === undefined || req.security === undefined ? {} : { security: { settings: security, selinuxfs: req.security.selinuxfs } }),
    ...(clockTicks === undefined ? {} : { cpu: { basis: req.cpu?.basis ?? { kind: "window", windowMs: 5000 }, clockTicks, ...(runaway === undefined ? {} : { runaway }) } }),
  };
}

function runawaySettings(cpu: CpuRequest, maxPercent: number, accounts: Accounts, etcDir: string | undefined): RunawaySettings | string {
  const exemptUids = new Set<number>();
  for (const user of cpu.exemptUsers) {
    const id = /^\d+$/.test(user) ? Number(user) : accounts.userId(user);
    if (id === undefined) return `--cpu-exempt-user: unknown user "${user}"`;
    exemptUids.add(id);
  }
  const names = [...cpu.exemptNames, ...(cpu.defaultExempt ? DEFAULT_CPU_EXEMPT : [])];
  return {
    maxPercent,
    exemptNames: new Set(names.map(toBytes)),
    exemptUids,
    ...(cpu.includeNormalUsers ? {} : { normalUsers: readNormalUidRange(etcDir) }),
    top: cpu.top,
  };
}

function securitySettings(sec: SecurityRequest, accounts: Accounts): SecuritySettings | string {
  const all = exemptions(sec, accounts, "--security-exempt-user");
  if (typeof all === "string") return all;
  const perCheck: Partial<Record<SecurityCheckName, Exemptions>> = {};
  for (const check of sec.checks) {
    const own = sec.perCheck?.[check];
    if (own === undefined) continue;
    const e = exemptions(own, accounts, `security ${check} exempt_users`);
    if (typeof e === "string") return e;
    perCheck[check] = e;
  }
  return {
    checks: sec.checks,
    ...all,
    ...(Object.keys(perCheck).length === 0 ? {} : { perCheck }),
    ...(sec.deletedExeMaxUid === undefined ? {} : { deletedExeMaxUid: sec.deletedExeMaxUid }),
    deletedExeIgnore: [...DEFAULT_DELETED_EXE_IGNORE, ...sec.deletedExeIgnore.map(toBytes)],
  };
}

/** Names as byte strings and users as uids; a string is the error, naming where the user came from. */
function exemptions(e: CheckExemptions, accounts: Accounts, where: string): Exemptions | string {
  const exemptUids = new Set<number>();
  for (const user of e.exemptUsers) {
    const id = /^\d+$/.test(user) ? Number(user) : accounts.userId(user);
    if (id === undefined) return `${where}: unknown user "${user}"`;
    exemptUids.add(id);
  }
  return { exemptNames: new Set(e.exemptNames.map(toBytes)), exemptUids };
}

/** User and exe of the security offenders the detail will list. */
function withSecurityFields(report: SecurityReport, req: Pick<CheckRequest, "procRoot">, limit: number): SecurityReport {
  return {
    ...report,
    results: report.results.map((r) => ({
      ...r,
      offenders: r.offenders.map((o, i) => (i < limit ? { ...o, process: readMore(req.procRoot, o.process, DETAIL_FIELDS) } : o)),
    })),
  };
}

/** Reads user and exe for the processes that detail lines will show (failing rules only). */
function withDetailFields(verdicts: readonly RuleVerdict[], req: Pick<CheckRequest, "procRoot" | "mode" | "format">, limit: number): RuleVerdict[] {
  const more = (p: ProcessRecord): ProcessRecord => readMore(req.procRoot, p, DETAIL_FIELDS);
  return verdicts.map((v) => {
    if (req.mode === "check" && req.format !== "json" && isClean(v, req.format)) return v;
    let budget = limit;
    const take = <T>(items: readonly T[], f: (x: T) => T): T[] => items.map((x) => (budget-- > 0 ? f(x) : x));
    return withListenHolders({
      ...v,
      matches: take(v.matches, more),
      unknowns: take(v.unknowns, (u) => ({ ...u, process: more(u.process) })),
      nearMisses: take(v.nearMisses, (n) => ({ ...n, process: more(n.process) })),
    }, req.procRoot);
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
function withOffenderFields(report: RunawayReport, req: Pick<CheckRequest, "procRoot">): RunawayReport {
  const fields = DETAIL_FIELDS | Field.cmdline;
  return {
    ...report,
    offenders: report.offenders.map((o, i) => (i < report.settings.top ? { ...o, process: readMore(req.procRoot, o.process, fields) } : o)),
  };
}

/** Nothing to report for this rule: ok, and for Nagios also inside its warn= range. */
function isClean(v: RuleVerdict, format: OutputFormat): boolean {
  return format === "nagios" ? nagiosState(v) === "OK" : v.state === "ok";
}

/** Nothing a second scan could confirm failed. Probes are not repeated (one connection per probe
 * per check), so a probe that is down alone does not make a check wait for --recheck. */
function isAllClean(m: Measurement, format: OutputFormat): boolean {
  return m.verdicts.every((v) => isClean(v, format)) && (m.runaway === undefined || m.runaway.offenders.length === 0)
    && (m.security === undefined || securityStatus(m.security) === "ok");
}

function usageError(reason: string, format: OutputFormat): Formatted {
  if (format === "nagios") return formatNagiosUnknown(reason);
  if (format === "json") return { text: `${JSON.stringify({ ok: false, error: escapeText(reason) })}\n`, exitCode: 1 };
  return { text: `procwatch: ${escapeText(reason)}\n`, exitCode: 1 };
}

/**
 * The /proc root itself cannot be listed (wrong --proc-root, no permission): say so with the
 * errno (Nagios UNKNOWN, mon failure) instead of the "internal error" the supervisor reports for
 * a crash. Classified by code and path, so a bug elsewhere still crashes.
 */
function unreadableRoot(err: unknown, req: CheckRequest): Formatted | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, path } = err as NodeJS.ErrnoException;
  if (typeof code !== "string" || path !== req.procRoot) return undefined;
  return usageError(`cannot read ${req.procRoot}: ${code}`, req.format);
}

function explainPid(req: CheckRequest, interpreters: InterpreterSet, accounts: Accounts): Formatted {
  const pid = req.pid ?? -1;
  const rec = readProcess1(req.procRoot, pid, Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile | Field.scriptFile | Field.sockets);
  if (rec === undefined) return { text: `procwatch: no process ${pid} under ${escapeText(req.procRoot)}\n`, exitCode: 1 };
  const name = countedName(rec, interpreters);
  return formatExplainProcess(rec, typeof name === "string" ? name : rec.comm, accounts, interpreters);
}

function formatJsonError(errors: readonly object[]): Formatted {
  return { text: `${JSON.stringify({ ok: false, errors })}\n`, exitCode: 1 };
}
