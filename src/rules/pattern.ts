// Pure: user patterns → RegExp that run in linear time. Globs and args= regexes are matched
// against byte strings (latin1), so the pattern text is converted to bytes the same way.
// Linear time: V8's experimental non-backtracking engine ('l' flag) refuses backreferences and
// lookaround at compile time, so "(a+)+$" over a long argv can never stall a scan (28 chars took
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
    if (msg.includes("linear time")) {
      throw new Error("regular expression needs backtracking (backreference or lookaround), which is refused");
    }
    throw new Error(`invalid regular expression (${msg.replace(/^Invalid regular expression: /, "")})`);
  }
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
