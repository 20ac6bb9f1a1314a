// One-shot check: parse rules, take snapshot(s), evaluate, format. Runs inside the scan child
// (see supervise.ts) so a /proc read that blocks forever can be ended by the parent's deadline.
// Owns no process-wide state: returns the text and exit code, never prints or exits.
import { type Accounts, readAccounts } from "./accounts.js";
import { type MatchContext, countedName, fieldsNeeded } from "./evaluate/match.js";
import { DEFAULT_INTERPRETERS, makeInterpreterSet } from "./evaluate/names.js";
import { type RuleVerdict, confirmFailures, evaluateRules } from "./evaluate/verdict.js";
import { formatExplainProcess, formatExplainRules } from "./output/explain.js";
import { escapeText } from "./output/escape.js";
import type { Formatted } from "./output/format.js";
import { formatJson } from "./output/json.js";
import { capOutput, formatMon } from "./output/mon.js";
import { formatNagios, formatNagiosUnknown, nagiosState } from "./output/nagios.js";
import { readMore, readProcess1, takeSnapshot } from "./procfs/snapshot.js";
import { Field, type ProcessRecord, type Snapshot } from "./procfs/types.js";
import { formatDuration } from "./rules/duration.js";
import { parseRuleArgs } from "./rules/list.js";
import type { Rule } from "./rules/types.js";

export type OutputFormat = "mon" | "json" | "nagios";

export interface CheckRequest {
  readonly mode: "check" | "explain-rules" | "explain-pid";
  readonly rules: readonly string[];
  readonly procRoot: string;
  readonly format: OutputFormat;
  readonly recheckMs?: number;
  readonly interpreters?: readonly string[];
  readonly detailLimit?: number;
  readonly pid?: number;
  /** PIDs whose whole subtree is procwatch itself (the CLI and this scanner): never counted. */
  readonly excludeRoots: readonly number[];
}

export interface CheckDeps {
  readonly accounts?: Accounts;
}

const DETAIL_FIELDS = Field.status | Field.exe;

export async function runCheck(req: CheckRequest, deps: CheckDeps = {}): Promise<Formatted> {
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
  // mon passes when nothing is asked; a Nagios service with nothing to check is misconfigured.
  if (req.format === "nagios" && rules.length === 0) return formatNagiosUnknown("no rules given (usage: procwatch check --format nagios RULE...)");
  const scan = (): { snapshot: Snapshot; verdicts: RuleVerdict[] } => scanAndEvaluate(rules, req, interpreters);

  let first: { snapshot: Snapshot; verdicts: RuleVerdict[] };
  try {
    first = scan();
  } catch (err) {
    const unreadable = unreadableRoot(err, req);
    if (unreadable === undefined) throw err;
    return unreadable;
  }
  let { snapshot, verdicts } = first;
  const notes: string[] = [];
  if (req.mode === "check" && req.recheckMs !== undefined && verdicts.some((v) => !isClean(v, req.format))) {
    await new Promise((resolve) => setTimeout(resolve, req.recheckMs));
    const second = scan();
    snapshot = second.snapshot;
    verdicts = confirmFailures(verdicts, second.verdicts);
    notes.push(`(failed in two scans ${formatDuration(req.recheckMs)} apart; counts from the second)`);
  }
  if (req.mode === "explain-rules") return formatExplainRules(withDetailFields(verdicts, req, Infinity), accounts);
  const detailed = withDetailFields(verdicts, req, req.detailLimit ?? 10);
  if (req.format === "json") return formatJson(detailed, snapshot, accounts);
  if (req.format === "nagios") return formatNagios(detailed, { names: accounts, detailLimit: req.detailLimit ?? 10, notes });
  return formatMon(detailed, { names: accounts, detailLimit: req.detailLimit ?? 10, notes });
}

function scanAndEvaluate(rules: readonly Rule[], req: CheckRequest, interpreters: ReturnType<typeof makeInterpreterSet>): { snapshot: Snapshot; verdicts: RuleVerdict[] } {
  // Exclusion is known only after the scan (it needs the ppid tree); planning ignores it.
  const planCtx: MatchContext = { interpreters, excluded: new Set() };
  const snapshot = takeSnapshot(req.procRoot, {
    plan: (rec) => rules.reduce((mask, rule) => mask | fieldsNeeded(rule, rec, planCtx), 0),
  });
  const excluded = subtreeOf(snapshot.processes, req.excludeRoots);
  return { snapshot, verdicts: evaluateRules(rules, snapshot, { interpreters, excluded }) };
}

/** PIDs of the given roots and all their descendants. */
export function subtreeOf(processes: readonly ProcessRecord[], roots: readonly number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p.pid]);
    else list.push(p.pid);
  }
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Reads user and exe for the processes that detail lines will show (failing rules only). */
function withDetailFields(verdicts: readonly RuleVerdict[], req: CheckRequest, limit: number): RuleVerdict[] {
  const more = (p: ProcessRecord): ProcessRecord => readMore(req.procRoot, p, DETAIL_FIELDS);
  return verdicts.map((v) => {
    if (req.mode === "check" && req.format !== "json" && isClean(v, req.format)) return v;
    let budget = limit;
    const take = <T>(items: readonly T[], f: (x: T) => T): T[] => items.map((x) => (budget-- > 0 ? f(x) : x));
    return {
      ...v,
      matches: take(v.matches, more),
      unknowns: take(v.unknowns, (u) => ({ ...u, process: more(u.process) })),
      nearMisses: take(v.nearMisses, (n) => ({ ...n, process: more(n.process) })),
    };
  });
}

/** Nothing to report for this rule: ok, and for Nagios also inside its warn= range. */
function isClean(v: RuleVerdict, format: OutputFormat): boolean {
  return format === "nagios" ? nagiosState(v) === "OK" : v.state === "ok";
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
  const reason = `cannot read ${req.procRoot}: ${code}`;
  if (req.format === "nagios") return formatNagiosUnknown(reason);
  if (req.format === "json") return { text: `${JSON.stringify({ ok: false, error: escapeText(reason) })}\n`, exitCode: 1 };
  return { text: `procwatch: ${escapeText(reason)}\n`, exitCode: 1 };
}

function explainPid(req: CheckRequest, interpreters: ReturnType<typeof makeInterpreterSet>, accounts: Accounts): Formatted {
  const pid = req.pid ?? -1;
  const rec = readProcess1(req.procRoot, pid, Field.status | Field.cmdline | Field.exe | Field.label);
  if (rec === undefined) return { text: `procwatch: no process ${pid} under ${escapeText(req.procRoot)}\n`, exitCode: 1 };
  const name = countedName(rec, interpreters);
  return formatExplainProcess(rec, typeof name === "string" ? name : rec.comm, accounts);
}

function formatJsonError(errors: readonly object[]): Formatted {
  return { text: `${JSON.stringify({ ok: false, errors })}\n`, exitCode: 1 };
}
