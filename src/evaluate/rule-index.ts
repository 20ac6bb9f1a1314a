// Pure: which of many rules can say anything but "no" about one process, found by map look-ups
// instead of trying every rule on every process (rules × processes: 1,000 path rules against
// 10,000 processes were 10 million linear-engine regex tests, 5 s). A candidate is then decided
// by matchRule as before; every rule left out answers exactly "no" (test/evaluate/rule-index.test.ts
// compares this with trying every rule on generated rule sets and processes).
import { Field, type FieldMask, type ProcessRecord } from "../procfs/types.js";
import type { CountRule } from "../rules/types.js";
import { countedName, fieldsNeeded, type MatchContext } from "./match.js";
import { COMM_BYTES, type InterpreterSet, scriptOf } from "./names.js";

export interface RuleIndex {
  /**
   * Positions (in the indexed rule list) of the rules that may answer yes, near, unknown or need
   * for `rec`, each once, in no particular order. Works on records with fields still unread, as
   * the scan plan asks between reads.
   */
  candidates(rec: ProcessRecord): readonly number[];
  /** What the scan still has to read to decide every rule for `rec`: the union of fieldsNeeded
   * over the rules, found without asking every name rule about an interpreter whose argv is unread. */
  fieldsNeeded(rec: ProcessRecord, ctx: MatchContext): FieldMask;
}

const NONE: readonly number[] = [];

export function indexRules(rules: readonly CountRule[], interpreters: InterpreterSet): RuleIndex {
  /** Name selectors by the whole name, which a comm or a script's basename must equal. */
  const byName = new Map<string, number[]>();
  /** Names longer than comm holds, by their first 15 bytes: the comm they arrive with. */
  const byCommPrefix = new Map<string, number[]>();
  /** Path selectors without glob characters (or escapes), by the path itself. */
  const byPath = new Map<string, number[]>();
  const nameRules: number[] = [];
  const pathRules: number[] = [];
  /** Path selectors with *, ?, [ or \: their pattern is tried on the processes whose exe (or
   * script) path starts with the literal text before the first of those characters. */
  const globPaths: { readonly i: number; readonly prefix: string }[] = [];
  rules.forEach((rule, i) => {
    const sel = rule.selector;
    if (sel.kind === "name") {
      nameRules.push(i);
      add(byName, sel.name, i);
      if (sel.name.length > COMM_BYTES) add(byCommPrefix, sel.name.slice(0, COMM_BYTES), i);
    } else {
      pathRules.push(i);
      // A literal pattern holds exactly for the path itself.
      if (sel.literal) add(byPath, sel.path, i);
      else globPaths.push({ i, prefix: sel.path.slice(0, sel.path.search(/[*?[\\]/)) });
    }
  });
  const hasNames = nameRules.length > 0;
  const hasPaths = pathRules.length > 0;

  // isInterp: not a kernel thread and an interpreter's comm, found once per call by the callers
  // below (a Map look-up per process and plan round otherwise repeated up to three times).
  const nameCandidates = (rec: ProcessRecord, isInterp: boolean): readonly number[] => {
    // Kernel threads answer to comm alone; an interpreter to its script once argv is read, and to
    // every name rule (need or unknown) before that or when argv cannot be read.
    let counted = rec.comm;
    if (isInterp) {
      const name = countedName(rec, interpreters);
      if (typeof name !== "string") return nameRules;
      counted = name;
    }
    const exact = byName.get(counted) ?? NONE;
    // A longer name is confirmed through exe or argv[0] when comm holds its first 15 bytes.
    const long = !rec.isKernelThread && rec.comm.length === COMM_BYTES ? byCommPrefix.get(rec.comm) ?? NONE : NONE;
    return join(exact, long);
  };

  const pathCandidates = (rec: ProcessRecord, isInterp: boolean): readonly number[] => {
    // Not read yet: every path rule asks for it. Unreadable: every path rule is undecided.
    if ((rec.readMask & (Field.exe | (isInterp ? Field.cmdline : 0))) !== (Field.exe | (isInterp ? Field.cmdline : 0))) return pathRules;
    if (rec.exe === undefined && rec.hasNoExe !== true) return pathRules;
    const exe = rec.exe?.path;
    const atExe = exe === undefined ? NONE : byPath.get(exe) ?? NONE;
    let script: string | undefined;
    if (isInterp && rec.argv !== undefined) {
      const s = scriptOf(rec.comm, rec.argv);
      if (s !== undefined && s.startsWith("/")) script = s;
    }
    const atScript = script === undefined ? NONE : byPath.get(script) ?? NONE;
    let globs = NONE;
    if (globPaths.length > 0) {
      const hits: number[] = [];
      for (const g of globPaths) {
        if (exe?.startsWith(g.prefix) === true || script?.startsWith(g.prefix) === true) hits.push(g.i);
      }
      globs = hits;
    }
    return join(join(atExe, atScript), globs);
  };

  const candidates = (rec: ProcessRecord): readonly number[] => {
    const isInterp = !rec.isKernelThread && interpreters.has(rec.comm);
    const names = hasNames ? nameCandidates(rec, isInterp) : NONE;
    // Name and path rules are apart: no position can be in both lists.
    return hasPaths ? concat(names, pathCandidates(rec, isInterp)) : names;
  };

  return {
    candidates,
    fieldsNeeded(rec, ctx) {
      if (ctx.excluded.has(rec.pid)) return 0;
      const isInterp = !rec.isKernelThread && interpreters.has(rec.comm);
      let mask = 0;
      let names = NONE;
      if (hasNames) {
        // An interpreter's name is its script: every name rule asks for argv first, one answer for all.
        if (isInterp && (rec.readMask & Field.cmdline) === 0) mask |= Field.cmdline;
        else names = nameCandidates(rec, isInterp);
      }
      let paths = NONE;
      if (hasPaths) {
        // Every path rule asks for the exe (and an interpreter's argv) first: one answer for all.
        const selectorFields = Field.exe | (isInterp ? Field.cmdline : 0);
        if ((rec.readMask & selectorFields) !== selectorFields) mask |= selectorFields & ~rec.readMask;
        else paths = pathCandidates(rec, isInterp);
      }
      for (const i of names) mask |= fieldsNeeded(rules[i] as CountRule, rec, ctx);
      for (const i of paths) mask |= fieldsNeeded(rules[i] as CountRule, rec, ctx);
      return mask;
    },
  };
}

function add(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}

/** Two lists of positions that share none as one; no copy when one is empty. */
function concat(a: readonly number[], b: readonly number[]): readonly number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return a.concat(b);
}

/** Two lists of positions as one, each position once; no copy when one is empty. */
function join(a: readonly number[], b: readonly number[]): readonly number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...new Set([...a, ...b])];
}
