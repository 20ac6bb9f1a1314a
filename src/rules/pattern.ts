// Pure: user patterns → RegExp that run in linear time. Globs and args= regexes are matched
// against byte strings (latin1), so the pattern text is converted to bytes the same way.
// Linear time: V8's experimental non-backtracking engine ('l' flag) refuses backreferences,
// lookaround and counted repetition beyond 16 at compile time (whyNotLinear names which), so "(a+)+$" over a long argv can never stall a scan (28 chars took
// 2.3 s in the backtracking engine). The flag must be set before the first 'l' RegExp is built:
// the scanner child gets it on its command line (check/supervise.ts); anywhere else it is set here,
// through node:v8, which costs ~3 ms to load and so is loaded only when needed.
import { createRequire } from "node:module";

export const LINEAR_REGEXP_FLAG = "--enable-experimental-regexp-engine";

if (!process.execArgv.includes(LINEAR_REGEXP_FLAG)) {
  (createRequire(import.meta.url)("node:v8") as typeof import("node:v8")).setFlagsFromString(LINEAR_REGEXP_FLAG);
}

const MAX_PATTERN = 512;

export function toBytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** Compiles a regular expression for the linear engine, or throws with the reason. */
export function compileLinearRegex(source: string): RegExp {
  if (source.length === 0) throw new Error("empty regular expression");
  if (source.length > MAX_PATTERN) throw new Error(`regular expression longer than ${MAX_PATTERN} characters`);
  try {
    return new RegExp(toBytes(source), "l");
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.includes("linear time")) throw new Error(whyNotLinear(source));
    throw new Error(`invalid regular expression (${msg.replace(/^Invalid regular expression: /, "")})`);
  }
}

/**
 * V8's linear engine repeats the body of a counted repetition in its bytecode, so it refuses
 * counts above 16, and nested repetitions whose counts multiply above 16 ((a{4}){5} is 20; `+`
 * counts 2, `*` and `?` count 1): kMaxReplicationFactor in v8/src/regexp/experimental/
 * experimental-compiler.cc. The same file refuses backreferences and lookaround.
 */
export const MAX_LINEAR_REPETITION = 16;

/** Why the linear engine refused a pattern that is valid JavaScript: names the offending token. */
function whyNotLinear(source: string): string {
  const found = scanPattern(source);
  const refused = "needs backtracking, which is refused so that no pattern can stall a scan";
  if (found.backreference !== undefined) return `regular expression has a backreference "${found.backreference}": it ${refused}`;
  if (found.lookaround !== undefined) return `regular expression has a lookaround "${found.lookaround}...)": it ${refused}`;
  if (found.repetition !== undefined) {
    const { token, times } = found.repetition;
    return `counted repetition "${token}" (${times} repetitions) is beyond the linear-time engine's limit of ${MAX_LINEAR_REPETITION}`
      + " (nested counts multiply; + counts as 2): use shorter counts one after another, or + or *";
  }
  // A refusal this scan does not explain (a newer V8): say what the engine said.
  return "regular expression cannot run in linear time, which is refused so that no pattern can stall a scan";
}

interface PatternFindings {
  backreference?: string;
  lookaround?: string;
  repetition?: { readonly token: string; readonly times: number };
}

/**
 * One pass over a regular expression's source (JavaScript syntax without the u flag): the first
 * backreference and lookaround, and the first repetition whose replication (its count times the
 * replication nested inside it) exceeds the linear engine's limit.
 */
function scanPattern(source: string): PatternFindings {
  const found: PatternFindings = {};
  const groups = countCaptureGroups(source);
  // Per open group: where it starts and the largest replication needed inside it so far.
  const stack: { start: number; inner: number }[] = [{ start: 0, inner: 1 }];
  let atom: { start: number; inner: number } | undefined;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i] as string;
    const quantifier = readQuantifier(source, i);
    if (quantifier !== undefined) {
      if (atom !== undefined) {
        const local = quantifier.max === undefined ? quantifier.min + 1 : quantifier.max;
        const times = Math.min(quantifier.min > MAX_LINEAR_REPETITION ? quantifier.min : local * atom.inner, Number.MAX_SAFE_INTEGER);
        const top = stack[stack.length - 1] as { inner: number };
        top.inner = Math.max(top.inner, times);
        if (times > MAX_LINEAR_REPETITION && found.repetition === undefined) {
          found.repetition = { token: source.slice(atom.start, quantifier.end), times };
        }
      }
      atom = undefined;
      i = quantifier.end;
      continue;
    }
    if (c === "\\") {
      const end = escapeEnd(source, i);
      const text = source.slice(i, end);
      const number = /^\\([1-9]\d*)$/.exec(text);
      if ((number !== null && Number(number[1]) <= groups.count) || (text.startsWith("\\k<") && groups.named)) {
        found.backreference ??= text;
      }
      atom = { start: i, inner: 1 };
      i = end;
    } else if (c === "[") {
      atom = { start: i, inner: 1 };
      i = classEnd(source, i);
    } else if (c === "(") {
      const look = /^\(\?<?[=!]/.exec(source.slice(i, i + 4));
      if (look !== null) found.lookaround ??= look[0];
      stack.push({ start: i, inner: 1 });
      atom = undefined;
      i = look !== null ? i + look[0].length : i + 1;
    } else if (c === ")" && stack.length > 1) {
      const group = stack.pop() as { start: number; inner: number };
      const top = stack[stack.length - 1] as { inner: number };
      top.inner = Math.max(top.inner, group.inner);
      atom = group;
      i++;
    } else {
      atom = c === "|" || c === "^" || c === "$" ? undefined : { start: i, inner: 1 };
      i++;
    }
  }
  return found;
}

/** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` at i (a lazy `?` after it included); else undefined. */
function readQuantifier(source: string, i: number): { min: number; max?: number; end: number } | undefined {
  const c = source[i];
  let q: { min: number; max?: number; end: number } | undefined;
  if (c === "*") q = { min: 0, end: i + 1 };
  else if (c === "+") q = { min: 1, end: i + 1 };
  else if (c === "?") q = { min: 0, max: 1, end: i + 1 };
  else if (c === "{") {
    // Without the u flag a '{' that does not form a count is a literal character.
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 40));
    if (m === null) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? undefined : Number(m[3]);
    q = { min, ...(max === undefined ? {} : { max }), end: i + m[0].length };
  }
  if (q !== undefined && source[q.end] === "?") q.end++;
  return q;
}

/** The end of the escape starting at i: \xHH, \uHHHH, \u{...}, \cX, \k<name>, \NNN, or one character. */
function escapeEnd(source: string, i: number): number {
  const m = /^\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]+\}|c[A-Za-z]|k<[^>]*>|\d+|[^])?/.exec(source.slice(i, i + 16));
  return i + Math.max(1, m?.[0].length ?? 1);
}

/** The end of the character class starting at i (after its ']'; escapes skipped). */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
  return j + 1;
}

function countCaptureGroups(source: string): { count: number; named: boolean } {
  let count = 0;
  let named = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = classEnd(source, i) - 1;
    else if (c === "(" && source[i + 1] !== "?") count++;
    else if (c === "(" && /^\(\?<[^=!]/.test(source.slice(i, i + 4))) {
      count++;
      named = true;
    }
  }
  return { count, named };
}

/**
 * Compiles a glob: `*` any run, `?` one byte, `[...]` a class (`[!...]` negates), `\` escapes.
 * With `pathSegments`, `*` and `?` do not cross '/' (paths); labels like "*:init_t:*" use false.
 */
export function compileGlob(glob: string, options: { pathSegments: boolean }): RegExp {
  if (glob.length === 0) throw new Error("empty pattern");
  if (glob.length > MAX_PATTERN) throw new Error(`pattern longer than ${MAX_PATTERN} characters`);
  const bytes = toBytes(glob);
  const any = options.pathSegments ? "[^/]" : "[^]";
  let out = "^";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as string;
    if (c === "*") out += `${any}*`;
    else if (c === "?") out += any;
    else if (c === "\\" && i + 1 < bytes.length) out += escapeRegex(bytes[++i] as string);
    else if (c === "[") {
      const close = bytes.indexOf("]", i + 2);
      if (close < 0) throw new Error(`unclosed '[' in pattern "${glob}"`);
      let body = bytes.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else out += escapeRegex(c);
  }
  return new RegExp(`${out}$`, "l");
}

export function hasGlobMagic(text: string): boolean {
  return /[*?[]/.test(text);
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
