// Pure: which name a process answers to. comm is the kernel's (15-byte) name; for interpreters
// the script counts instead, with interpreter options skipped — ps.monitor took the second word,
// so "python3 -u /usr/local/bin/foo.py" was "-u" there and is "foo.py" here.
import { compileGlob } from "../rules/pattern.js";

/** The kernel keeps at most 15 bytes of a name in comm (TASK_COMM_LEN 16 with the NUL). */
export const COMM_BYTES = 15;

export interface InterpreterSet {
  has(comm: string): boolean;
}

export function makeInterpreterSet(entries: readonly string[]): InterpreterSet {
  const exact = new Set(entries.filter((e) => !/[*?[]/.test(e)));
  const globs = entries.filter((e) => /[*?[]/.test(e)).map((e) => globMatcher(e));
  // Asked for every process and rule; a machine has few distinct names, so remember each answer.
  const known = new Map<string, boolean>();
  return {
    has(comm) {
      let answer = known.get(comm);
      if (answer === undefined) {
        answer = exact.has(comm) || globs.some((g) => g(comm));
        known.set(comm, answer);
      }
      return answer;
    },
  };
}

/** "python3.*" needs no regular expression (and the linear engine is slow to start): a
 * prefix test. Anything more complex goes through compileGlob. */
function globMatcher(glob: string): (comm: string) => boolean {
  const star = glob.indexOf("*");
  if (star === glob.length - 1 && !/[?[]/.test(glob)) {
    const prefix = glob.slice(0, -1);
    return (comm) => comm.startsWith(prefix) && !comm.includes("/", prefix.length);
  }
  const re = compileGlob(glob, { pathSegments: true });
  return (comm) => re.test(comm);
}

export function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

type Family = "python" | "perl" | "ruby" | "node" | "lua" | "other";

function familyOf(comm: string): Family {
  if (comm.startsWith("python")) return "python";
  if (comm.startsWith("perl")) return "perl";
  if (comm.startsWith("ruby")) return "ruby";
  if (comm.startsWith("node")) return "node";
  if (comm.startsWith("lua")) return "lua";
  return "other";
}

// Options whose value is the next word when not attached; and options that mean "no script file"
// (code given inline). From each interpreter's manual page.
const TAKES_VALUE: Readonly<Record<Family, ReadonlySet<string>>> = {
  python: new Set(["-W", "-X", "-Q"]),
  perl: new Set(["-I"]),
  ruby: new Set(["-I", "-r", "-C", "-E", "-K"]),
  node: new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--env-file", "--title", "--input-type"]),
  lua: new Set(["-l", "-e"]),
  other: new Set(),
};
const INLINE_CODE: Readonly<Record<Family, ReadonlySet<string>>> = {
  python: new Set(["-c"]),
  perl: new Set(["-e", "-E"]),
  ruby: new Set(["-e"]),
  node: new Set(["-e", "--eval", "-p", "--print"]),
  lua: new Set(),
  other: new Set(),
};

/**
 * The script an interpreter runs, or undefined when it runs inline code, a REPL or stdin.
 * `python3 -m pkg.mod` answers "pkg.mod" (the module is what the operator names).
 */
export function scriptOf(comm: string, argv: readonly string[]): string | undefined {
  // setproctitle-style cmdlines arrive as one string with spaces
  const words = argv.length === 1 && (argv[0] ?? "").includes(" ") ? (argv[0] as string).split(" ") : argv;
  const family = familyOf(comm);
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "--") return words[i + 1];
    if (!w.startsWith("-") || w === "-") return w === "-" ? undefined : w;
    const flag = w.startsWith("--") ? w.split("=")[0] as string : w.slice(0, 2);
    if (INLINE_CODE[family].has(flag)) return undefined;
    if (family === "python" && flag === "-m") return w.length > 2 ? w.slice(2) : words[i + 1];
    if (TAKES_VALUE[family].has(flag) && (w === flag)) i++;
  }
  return undefined;
}
