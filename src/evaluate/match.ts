// Pure: does one process count for one rule? Answers yes / no / unknown, or which unread fields
// it needs first, so the scan can read per process only what the rules need.
// Unknown is not no: a field we could not read (EACCES, hidepid, no LSM) never silently misses.
import { Field, type FieldMask, type ProcessRecord } from "../procfs/types.js";
import { toBytes } from "../rules/pattern.js";
import type { CountRule, Qualifier, Selector } from "../rules/types.js";
import { evaluateExeFile, type ExeFileVerdict } from "./exe-file.js";
import { limitsFieldsNeeded } from "./limits.js";
import { evaluateScriptFile } from "./script-file.js";
import { listenOf, matchListen } from "./ports.js";
import { describeLabels, labelUnknownWhy } from "./labels.js";
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

export function matchRule(rule: CountRule, rec: ProcessRecord, ctx: MatchContext): Outcome {
  if (ctx.excluded.has(rec.pid)) return NO;
  const sel = matchSelector(rule.selector, rec, ctx);
  if (sel.kind === "unknown") return decideByListen(rule, rec) ?? sel;
  if (sel.kind !== "yes") return sel;
  // A zombie has exited; only a leader whose other threads still run is alive (proc(5)).
  if (rec.state === "Z" && rec.threads <= 1) return ZOMBIE;
  return matchQualifiers(rule.qualifiers, rec);
}

/**
 * The selector could not be decided (an exe procwatch may not read, e.g. a container's PID 1
 * even as root), but a process that holds no socket on the listen= port cannot count whatever
 * its exe: then it is decided, a plain no. Its fd links are read for that, as for a candidate.
 */
function decideByListen(rule: CountRule, rec: ProcessRecord): Outcome | undefined {
  const q = listenOf(rule);
  if (q === undefined) return undefined;
  const o = matchListen(q.listen, q.text, rec);
  if (o.kind === "need") return o;
  return o.kind === "near" ? NO : undefined;
}

/** Fields needed to decide `rule` for `rec` that are not read yet (0 when decidable). */
export function fieldsNeeded(rule: CountRule, rec: ProcessRecord, ctx: MatchContext): FieldMask {
  const o = matchRule(rule, rec, ctx);
  if (o.kind === "need") return o.fields;
  // rss= and fds= are judged on the processes the rule counts: read only for those.
  if (o.kind === "yes" && rule.limits !== undefined) return limitsFieldsNeeded(rule.limits) & ~rec.readMask;
  return 0;
}

function need(rec: ProcessRecord, fields: FieldMask): Outcome | undefined {
  const missing = fields & ~rec.readMask;
  return missing === 0 ? undefined : { kind: "need", fields: missing };
}

function unknownWhy(rec: ProcessRecord, field: "status" | "cmdline" | "exe"): string {
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
  if (rec.exe !== undefined && pathMatches(sel, rec.exe.path)) return confirmExeFile(rec, "");
  // The script path comes from argv: confirmed by the file the process holds or by its root.
  if (isInterp && rec.argv !== undefined) {
    const script = scriptOf(rec.comm, rec.argv);
    if (script !== undefined && script.startsWith("/") && pathMatches(sel, script)) return confirmScriptFile(rec, script);
  }
  if (rec.exe === undefined && rec.hasNoExe !== true) return { kind: "unknown", why: unknownWhy(rec, "exe") };
  return NO;
}

function pathMatches(sel: Extract<Selector, { kind: "path" }>, path: string): boolean {
  return sel.literal ? path === sel.path : sel.pattern.test(path);
}

/** The exe path matched: count the process only if it runs the file at that path (exe-file.ts). */
function confirmExeFile(rec: ProcessRecord, prefix: string): Outcome {
  const pending = need(rec, Field.exeFile);
  if (pending) return pending;
  return outcomeOf(evaluateExeFile(rec), prefix);
}

/** The script path matched: count the process only if it is the file at that path (script-file.ts). */
function confirmScriptFile(rec: ProcessRecord, script: string): Outcome {
  const pending = need(rec, Field.scriptFile);
  if (pending) return pending;
  return outcomeOf(evaluateScriptFile(rec, script), "");
}

function outcomeOf(v: ExeFileVerdict, prefix: string): Outcome {
  if (v.kind === "same") return YES;
  return v.kind === "other" ? { kind: "near", reason: `${prefix}${v.reason}` } : { kind: "unknown", why: `${prefix}${v.why}` };
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
  let more = 0;
  for (const q of qualifiers) {
    if (q.key === "listen") continue;
    const o = matchQualifier(q, rec);
    if (o.kind === "near") return o; // a definite mismatch beats an unknown elsewhere
    if (o.kind === "need") more |= o.fields; // exe= matched: its file is still to be compared
    if (o.kind === "unknown") unknown ??= o;
  }
  // Read what is still missing before settling on unknown: it may yet give a definite mismatch.
  if (more !== 0) return { kind: "need", fields: more };
  // listen= last: fd links are read only for processes the rest of the rule did not exclude.
  for (const q of qualifiers) {
    if (q.key !== "listen") continue;
    const o = matchListen(q.listen, q.text, rec);
    if (o.kind === "near" || o.kind === "need") return o;
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
    case "domain":
      return Field.label;
    case "listen":
      return 0; // asked for last, see matchQualifiers
    case "unit":
    case "cgroup":
    case "container":
      return Field.cgroup;
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
      const prefix = `exe=${toBytes(q.text)}: `;
      return q.pattern.test(rec.exe.path) ? confirmExeFile(rec, prefix) : { kind: "near", reason: `${prefix}exe is ${rec.exe.path}${rec.exe.deleted ? " (deleted)" : ""}` };
    }
    case "args": {
      if (rec.argv === undefined) return { kind: "unknown", why: unknownWhy(rec, "cmdline") };
      return q.pattern.test(rec.argv.join(" ")) ? YES : { kind: "near", reason: `args=${toBytes(q.text)}: command line does not match` };
    }
    case "label": {
      // No module active: unknown, so the rule is neither failed nor passed by a guess; the
      // undecided line says the qualifier does not apply here.
      if (rec.labels === undefined) return { kind: "unknown", why: labelUnknownWhy(rec, "label") };
      // With stacked modules any one of the labels may match.
      if (rec.labels.some((l) => q.pattern.test(l.raw))) return YES;
      return { kind: "near", reason: `label=${toBytes(q.text)}: label is ${describeLabels(rec.labels)}` };
    }
    case "domain":
      return matchDomain(q.pattern, toBytes(q.text), rec);
    case "listen":
      return matchListen(q.listen, q.text, rec);
    case "unit":
    case "cgroup":
    case "container":
      return matchCgroup(q, rec);
  }
}

/** unit=, cgroup=, container= and their `!=` forms, against the cgroup the kernel reports. */
function matchCgroup(q: Extract<Qualifier, { key: "unit" | "cgroup" | "container" }>, rec: ProcessRecord): Outcome {
  const cg = rec.cgroup;
  if (cg === undefined) return { kind: "unknown", why: `cgroup unreadable (${rec.unknownWhy?.cgroup ?? "unknown"})` };
  const value = q.key === "unit" ? cg.unit : q.key === "cgroup" ? cg.path : cg.containerId;
  if ((value !== undefined && q.pattern.test(value)) !== q.negate) return YES;
  const where = q.key === "container"
    ? (cg.containerId === undefined ? "not in a container" : `in container ${cg.containerId}`)
    : `in ${cg.unit === undefined ? "no unit" : `unit ${cg.unit}`} (cgroup ${cg.path})`;
  return { kind: "near", reason: `${q.key}${q.negate ? "!=" : "="}${toBytes(q.text)}: runs ${where}` };
}

/** domain=: the SELinux type or AppArmor profile name of any of the process's labels. */
function matchDomain(pattern: RegExp, text: string, rec: ProcessRecord): Outcome {
  if (rec.labels === undefined) return { kind: "unknown", why: labelUnknownWhy(rec, "domain") };
  const domains = rec.labels.flatMap((l) => (l.domain === undefined ? [] : [l.domain]));
  if (domains.some((d) => pattern.test(d))) return YES;
  if (domains.length === 0 && rec.labels.length > 0) {
    // Smack (or a label in no known format) has no domains: the qualifier cannot apply, which is
    // not the same as "another domain".
    const modules = [...new Set(rec.labels.map((l) => l.module))].join(", ");
    return { kind: "unknown", why: `domain= not applicable (${modules} labels have no domain; label is ${describeLabels(rec.labels)})` };
  }
  return { kind: "near", reason: `domain=${text}: ${domains.length === 0 ? "no label" : `domain is ${domains.join(", ")}`}` };
}
