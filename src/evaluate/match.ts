// Pure: does one process count for one rule? Answers yes / no / unknown, or which unread fields
// it needs first, so the scan can read per process only what the rules need.
// Unknown is not no: a field we could not read (EACCES, hidepid, no LSM) never silently misses.
import { Field, type FieldMask, type ProcessRecord } from "../procfs/types.js";
import { toBytes } from "../rules/pattern.js";
import type { Qualifier, Rule, Selector } from "../rules/types.js";
import { basename, COMM_BYTES, type InterpreterSet, scriptOf } from "./names.js";

export type Outcome =
  | { readonly kind: "yes" }
  | { readonly kind: "no" }
  /** The selector matched but a qualifier or the state excluded it: shown to the operator. */
  | { readonly kind: "near"; readonly reason: string }
  | { readonly kind: "unknown"; readonly why: string }
  | { readonly kind: "need"; readonly fields: FieldMask };

export interface MatchContext {
  readonly interpreters: InterpreterSet;
  /** procwatch itself and its children: never counted. */
  readonly excluded: ReadonlySet<number>;
}

const YES: Outcome = { kind: "yes" };
const NO: Outcome = { kind: "no" };
const ZOMBIE: Outcome = { kind: "near", reason: "zombie (defunct), not running" };

export function matchRule(rule: Rule, rec: ProcessRecord, ctx: MatchContext): Outcome {
  if (ctx.excluded.has(rec.pid)) return NO;
  const sel = matchSelector(rule.selector, rec, ctx);
  if (sel.kind !== "yes") return sel;
  // A zombie has exited; only a leader whose other threads still run is alive (proc(5)).
  if (rec.state === "Z" && rec.threads <= 1) return ZOMBIE;
  return matchQualifiers(rule.qualifiers, rec);
}

/** Fields needed to decide `rule` for `rec` that are not read yet (0 when decidable). */
export function fieldsNeeded(rule: Rule, rec: ProcessRecord, ctx: MatchContext): FieldMask {
  const o = matchRule(rule, rec, ctx);
  return o.kind === "need" ? o.fields : 0;
}

function need(rec: ProcessRecord, fields: FieldMask): Outcome | undefined {
  const missing = fields & ~rec.readMask;
  return missing === 0 ? undefined : { kind: "need", fields: missing };
}

function unknownWhy(rec: ProcessRecord, field: "status" | "cmdline" | "exe" | "label"): string {
  return `${field === "status" ? "uids" : field} unreadable (${rec.unknownWhy?.[field] ?? "unknown"})`;
}

/** The name a non-kernel process is counted under (script for interpreters), or a need. */
export function countedName(rec: ProcessRecord, interpreters: InterpreterSet): string | Outcome {
  if (rec.isKernelThread || !interpreters.has(rec.comm)) return rec.comm;
  const pending = need(rec, Field.cmdline);
  if (pending) return pending;
  if (rec.argv === undefined) return { kind: "unknown", why: unknownWhy(rec, "cmdline") };
  const script = scriptOf(rec.comm, rec.argv);
  return script === undefined ? rec.comm : basename(script);
}

function matchSelector(sel: Selector, rec: ProcessRecord, ctx: MatchContext): Outcome {
  if (sel.kind === "name") return matchName(sel.name, rec, ctx);
  const isInterp = !rec.isKernelThread && ctx.interpreters.has(rec.comm);
  const pending = need(rec, Field.exe | (isInterp ? Field.cmdline : 0));
  if (pending) return pending;
  if (rec.exe !== undefined && sel.pattern.test(rec.exe.path)) return YES;
  if (isInterp && rec.argv !== undefined) {
    const script = scriptOf(rec.comm, rec.argv);
    if (script !== undefined && script.startsWith("/") && sel.pattern.test(script)) return YES;
  }
  if (rec.exe === undefined && rec.hasNoExe !== true) return { kind: "unknown", why: unknownWhy(rec, "exe") };
  return NO;
}

function matchName(name: string, rec: ProcessRecord, ctx: MatchContext): Outcome {
  if (rec.isKernelThread) return rec.comm === name ? YES : NO;
  const counted = countedName(rec, ctx.interpreters);
  if (typeof counted !== "string") return counted;
  if (counted === name) return YES;
  // Longer names: comm holds the first 15 bytes; confirm through the exe or argv[0] basename.
  if (name.length > COMM_BYTES && rec.comm.length === COMM_BYTES && name.startsWith(rec.comm)) {
    const pending = need(rec, Field.exe | Field.cmdline);
    if (pending) return pending;
    if (rec.exe !== undefined && basename(rec.exe.path) === name) return YES;
    const argv0 = rec.argv?.[0];
    if (argv0 !== undefined && basename(argv0) === name) return YES;
    if (rec.exe === undefined && rec.hasNoExe !== true) return { kind: "unknown", why: unknownWhy(rec, "exe") };
  }
  return NO;
}

function matchQualifiers(qualifiers: readonly Qualifier[], rec: ProcessRecord): Outcome {
  let missing = 0;
  for (const q of qualifiers) missing |= fieldOf(q);
  const pending = need(rec, missing);
  if (pending) return pending;
  let unknown: Outcome | undefined;
  for (const q of qualifiers) {
    const o = matchQualifier(q, rec);
    if (o.kind === "near") return o; // a definite mismatch beats an unknown elsewhere
    if (o.kind === "unknown") unknown ??= o;
  }
  return unknown ?? YES;
}

function fieldOf(q: Qualifier): FieldMask {
  switch (q.key) {
    case "user":
    case "uid":
    case "group":
    case "gid":
      return Field.status;
    case "exe":
      return Field.exe;
    case "args":
      return Field.cmdline;
    case "label":
      return Field.label;
  }
}

function matchQualifier(q: Qualifier, rec: ProcessRecord): Outcome {
  switch (q.key) {
    case "user":
    case "uid":
    case "group":
    case "gid": {
      const ids = q.key === "user" || q.key === "uid" ? rec.uids : rec.gids;
      if (ids === undefined) return { kind: "unknown", why: unknownWhy(rec, "status") };
      // Real AND effective: a setuid helper started by another user (ruid 65534, euid 0) is not root.
      if (ids.real === q.id && ids.effective === q.id) return YES;
      const what = q.key === "user" || q.key === "uid" ? "uid" : "gid";
      return { kind: "near", reason: `${q.key}=${toBytes(q.text)}: real ${what} ${ids.real}, effective ${what} ${ids.effective}` };
    }
    case "exe": {
      if (rec.exe === undefined) {
        return rec.hasNoExe === true ? { kind: "near", reason: `exe=${toBytes(q.text)}: no executable` } : { kind: "unknown", why: unknownWhy(rec, "exe") };
      }
      return q.pattern.test(rec.exe.path) ? YES : { kind: "near", reason: `exe=${toBytes(q.text)}: exe is ${rec.exe.path}${rec.exe.deleted ? " (deleted)" : ""}` };
    }
    case "args": {
      if (rec.argv === undefined) return { kind: "unknown", why: unknownWhy(rec, "cmdline") };
      return q.pattern.test(rec.argv.join(" ")) ? YES : { kind: "near", reason: `args=${toBytes(q.text)}: command line does not match` };
    }
    case "label": {
      if (rec.label === undefined) {
        const code = rec.unknownWhy?.label;
        const why = code === "EINVAL" || code === "ENOENT" ? "no security module active (label not applicable)" : unknownWhy(rec, "label");
        return { kind: "unknown", why };
      }
      return q.pattern.test(rec.label) ? YES : { kind: "near", reason: `label=${toBytes(q.text)}: label is ${rec.label}` };
    }
  }
}

/**
 * A conservative pre-test: false only when no rule can match the process, whatever its other
 * fields. Most processes on a host match no rule, and this spares them every per-rule test.
 * Path selectors need the exe of every process, so with one the filter lets all through.
 */
export function candidateFilter(rules: readonly Rule[], interpreters: InterpreterSet): (rec: ProcessRecord) => boolean {
  if (rules.some((r) => r.selector.kind === "path")) return () => true;
  const names = new Set<string>();
  for (const r of rules) {
    if (r.selector.kind !== "name") continue;
    names.add(r.selector.name);
    // a longer name is found through its first 15 bytes in comm, confirmed later via exe/argv[0]
    if (r.selector.name.length > COMM_BYTES) names.add(r.selector.name.slice(0, COMM_BYTES));
  }
  return (rec) => names.has(rec.comm) || (!rec.isKernelThread && interpreters.has(rec.comm));
}
