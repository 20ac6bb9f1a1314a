// Pure: /proc/PID/stat text → ProcStat. Field numbers follow proc(5) (1-based).
import { ProcParseError } from "./errors.js";

export interface ProcStat {
  readonly pid: number;
  /** Byte string; may hold spaces, parentheses, newlines, any byte but NUL. */
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** Kernel PF_* flags, field 9. */
  readonly flags: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  readonly threads: number;
  readonly startTicks: number;
  readonly rssPages: number;
}

/** PF_KTHREAD (include/linux/sched.h): set for kernel threads. */
export const PF_KTHREAD = 0x00200000;

// Offsets into the space-separated fields after "pid (comm) ", where state is index 0.
const STATE = 0;
const PPID = 1;
const FLAGS = 6;
const UTIME = 11;
const STIME = 12;
const THREADS = 17;
const STARTTIME = 19;
const RSS = 21;

export function parseStat(text: string, path = "stat"): ProcStat {
  // comm may hold spaces, '(' and ')': only the LAST ')' ends it (proc(5)); a process named
  // "a) Z 1 1 1" must not make us read state Z and ppid 1.
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) throw new ProcParseError(path, text, "no (comm) field");
  const pid = Number(text.slice(0, open - 1));
  const rest = text.slice(close + 2).split(" ");
  if (rest.length <= RSS) throw new ProcParseError(path, text, "too few fields");
  const num = (i: number): number => {
    const v = Number(rest[i]);
    if (!Number.isSafeInteger(v)) throw new ProcParseError(path, rest[i] ?? "", `field ${i + 3} is not a number`);
    return v;
  };
  if (!Number.isSafeInteger(pid)) throw new ProcParseError(path, text, "pid is not a number");
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[STATE] ?? "",
    ppid: num(PPID),
    flags: num(FLAGS),
    utimeTicks: num(UTIME),
    stimeTicks: num(STIME),
    threads: num(THREADS),
    startTicks: num(STARTTIME),
    rssPages: num(RSS),
  };
}
