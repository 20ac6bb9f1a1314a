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
import { readMore, readProcess1, takeSnapshot } from "./procfs/snapshot.js";
import { Field, type ProcessRecord, type Snapshot } from "./procfs/types.js";
import { formatDuration } from "./rules/duration.js";
import { parseRuleArgs } from "./rules/list.js";
import type { Rule } from "./rules/types.js";

export type OutputFormat = "mon" | "json";

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
    return { text: capOutput(lines, 16 * 1024), exitCode: 1 };
  }
  const rules = parsed.rules;
  const scan = (): { snapshot: Snapshot; verdicts: RuleVerdict[] } => scanAndEvaluate(rules, req, interpreters);

  let { snapshot, verdicts } = scan();
  const notes: string[] = [];
  if (req.mode === "check" && req.recheckMs !== undefined && verdicts.some((v) => v.state !== "ok")) {
    await new Promise((resolve) => setTimeout(resolve, req.recheckMs));
    const second = scan();
    snapshot = second.snapshot;
    verdicts = confirmFailures(verdicts, second.verdicts);
    notes.push(`(failed in two scans ${formatDuration(req.recheckMs)} apart; counts from the second)`);
  }
  if (req.mode === "explain-rules") return formatExplainRules(withDetailFields(verdicts, req, Infinity), accounts);
  const detailed = withDetailFields(verdicts, req, req.detailLimit ?? 10);
  if (req.format === "json") return formatJson(detailed, snapshot, accounts);
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
    if (v.state === "ok" && req.mode === "check" && req.format === "mon") return v;
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
