// One-shot check: parse rules, measure (scan, CPU window, probes), evaluate, format. Runs inside
// the scan child (see supervise.ts) so a /proc read that blocks forever can be ended by the
// parent's deadline. Owns no process-wide state: returns the text and exit code, never prints or exits.
import { DEFAULT_INTERPRETERS } from "../rules/interpreters.js";
import { countedName } from "../evaluate/match.js";
import { type InterpreterSet, makeInterpreterSet } from "../evaluate/names.js";
import { confirmWindow } from "../measure/confirm.js";
import { withDetails } from "../measure/detail.js";
import { measure, type Measurement, type MeasureSetup } from "../measure/measure.js";
import { prepareSetup } from "../measure/setup.js";
import { escapeText } from "../output/escape.js";
import { EXPLAIN_LIMIT, formatExplainProcess, formatExplainRules } from "../output/explain.js";
import type { Formatted, OutputFormat } from "../output/format.js";
import { detailPolicy, formatMeasurement, isClean } from "../output/measurement.js";
import { formatFailure, formatProblems } from "../output/problems.js";
import { isProblem } from "../rules/problem.js";
import { securityStatus } from "../output/security.js";
import { FileRefusedError } from "../procfs/regular-file.js";
import { checkProcRoot, describeProcRootProblem } from "../procfs/root.js";
import { readOneProcess } from "../procfs/snapshot.js";
import { Field } from "../procfs/types.js";
import { formatDuration } from "../rules/duration.js";
import { countRules, parseRuleArgs } from "../rules/list.js";
import { type Accounts, readAccounts } from "../system/accounts.js";
import type { CheckDeps, CheckRequest } from "./request.js";
import { monotonicMs } from "../measure/clock.js";

export async function runCheck(req: CheckRequest, deps: CheckDeps = {}): Promise<Formatted> {
  try {
    return await checkOnce(req, deps);
  } catch (err) {
    // /etc/passwd, group or login.defs that is a FIFO, a device or huge: a usage error naming it.
    if (err instanceof FileRefusedError) return usageError(err.message, req.format);
    throw err;
  }
}

async function checkOnce(req: CheckRequest, deps: CheckDeps): Promise<Formatted> {
  const startedMs = monotonicMs();
  // Before anything else: a wrong --proc-root (/tmp, /host for /host/proc) would read as "no
  // processes" and pass every 0-0 rule.
  const rootProblem = checkProcRoot(req.procRoot);
  if (rootProblem !== undefined) return usageError(describeProcRootProblem(rootProblem), req.format);
  const accounts = deps.accounts ?? readAccounts();
  const interpreters = makeInterpreterSet(req.interpreters ?? DEFAULT_INTERPRETERS);
  if (req.mode === "explain-pid") return explainPid(req, interpreters, accounts);

  const parsed = parseRuleArgs(req.rules, accounts);
  if (parsed.errors.length > 0) return formatProblems(req.format, parsed.errors);
  const rules = parsed.rules;
  const needsHistory = countRules(rules).find((r) => r.limits?.restarts !== undefined);
  if (needsHistory !== undefined) {
    return usageError(`"${needsHistory.text}": restarts= counts new processes over time, which only the daemon (procwatch run) remembers; a one-shot check catches a restart with age=, e.g. age=10m-`, req.format);
  }
  const prepared = prepareSetup(req, rules, interpreters, accounts, { etcDir: deps.etcDir });
  if (isProblem(prepared)) return formatProblems(req.format, [prepared]);
  const setup: MeasureSetup = req.timeoutMs === undefined ? prepared : { ...prepared, probeDeadline: { atMs: startedMs + req.timeoutMs - probeMarginMs(req.timeoutMs), by: "--timeout" } };
  // Nothing to check is a misconfiguration in every format: a mon line `procwatch.monitor ;;`
  // would otherwise be green forever. A probe, --cpu-max or --security is something to check.
  if (req.mode === "check" && rules.length === 0 && setup.cpu?.runaway === undefined && setup.security === undefined) {
    return usageError("no rules given: nothing to check (give RULE..., --cpu-max PERCENT or --security LIST)", req.format);
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
    // The daemon's for_cycles confirmation over a window of these two scans.
    m = { ...confirmWindow([m, second], 2), ...(m.probes === undefined ? {} : { probes: m.probes }) };
    notes.push(`(failed in two scans ${formatDuration(req.recheckMs)} apart; counts from the second${m.probes === undefined ? "" : "; probes from the first, never repeated"})`);
  }
  if (req.mode === "explain-rules") {
    return formatExplainRules(withDetails(m, setup, detailPolicy(req.format, { detailLimit: EXPLAIN_LIMIT, everyRule: true })).verdicts, accounts, m.probes);
  }
  const detailLimit = req.detailLimit ?? 10;
  // Read now, before formatting: the formatters read nothing (one scan, one truth).
  const detailed = withDetails(m, setup, detailPolicy(req.format, { detailLimit }));
  return formatMeasurement(detailed, { format: req.format, detailLimit, notes }, accounts);
}

/** Time kept after the probes for judging, formatting and answering before the supervisor's kill. */
function probeMarginMs(timeoutMs: number): number {
  return Math.min(250, timeoutMs / 5);
}

/** Nothing a second scan could confirm failed. Probes are not repeated (one connection per probe
 * per check), so a probe that is down alone does not make a check wait for --recheck. */
function isAllClean(m: Measurement, format: OutputFormat): boolean {
  return m.verdicts.every((v) => isClean(v, format)) && (m.runaway === undefined || m.runaway.offenders.length === 0)
    && (m.security === undefined || securityStatus(m.security) === "ok");
}

function usageError(reason: string, format: OutputFormat): Formatted {
  return formatFailure(format, reason);
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
  const rec = readOneProcess(req.procRoot, pid, Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile | Field.scriptFile | Field.sockets);
  if (rec === undefined) return { text: `procwatch: no process ${pid} under ${escapeText(req.procRoot)}\n`, exitCode: 1 };
  const name = countedName(rec, interpreters);
  return formatExplainProcess(rec, typeof name === "string" ? name : rec.comm, accounts, interpreters);
}
