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

// Field numbers (proc(5), 1-based) that procwatch keeps. Fields 3.. follow "pid (comm) ".
const STATE = 3;
const PPID = 4;
const FLAGS = 9;
const UTIME = 14;
const STIME = 15;
const THREADS = 20;
const STARTTIME = 22;
const RSS = 24;
const LAST = RSS;

const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const MINUS = 0x2d;

export function parseStat(text: string, path = "stat"): ProcStat {
  const buf = Buffer.from(text, "latin1");
  return parseStatBytes(buf, buf.length, path);
}

/**
 * Parses stat from raw bytes without splitting into strings: this runs once per process per
 * scan, and the split version spent more time allocating than the kernel spent producing the
 * text. comm may hold spaces, '(' and ')': only the LAST ')' ends it (proc(5)); a process named
 * "a) Z 1 1 1" must not make us read state Z and ppid 1.
 */
export function parseStatBytes(buf: Buffer, length: number, path = "stat"): ProcStat {
  const fail = (reason: string, from = 0, to = length): never => {
    throw new ProcParseError(path, buf.toString("latin1", from, to), reason);
  };
  const badField = (f: number, start: number): never => {
    let end = start;
    while (end < length && buf[end] !== SPACE && buf[end] !== NEWLINE) end++;
    return fail(`field ${f} is not a number`, start, end);
  };
  const open = buf.indexOf(OPEN_PAREN);
  let close = length - 1;
  while (close > open && buf[close] !== CLOSE_PAREN) close--;
  if (open < 1 || open >= length || close <= open) fail("no (comm) field");
  let pid = 0;
  for (let i = 0; i < open - 1; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) fail("pid is not a number");
    pid = pid * 10 + d;
  }
  if (buf[open - 1] !== SPACE) fail("pid is not a number");
  const fields = new Array<number>(LAST + 1).fill(0);
  let field = STATE;
  let i = close + 2;
  const stateAt = i;
  // skip the state letter, then read fields 4.. as decimal numbers (some may be negative)
  while (i < length && buf[i] !== SPACE) i++;
  i++;
  field = PPID;
  let value = 0;
  let digits = 0;
  let negative = false;
  let start = i;
  for (; i <= length && field <= LAST; i++) {
    const b = i === length ? NEWLINE : (buf[i] as number);
    if (b === SPACE || b === NEWLINE) {
      if (digits === 0 || !Number.isSafeInteger(value)) badField(field, start);
      fields[field++] = negative ? -value : value;
      value = 0;
      digits = 0;
      negative = false;
      start = i + 1;
    } else if (b === MINUS && digits === 0 && !negative) {
      negative = true;
    } else {
      const d = b - 48;
      if (d < 0 || d > 9) badField(field, start);
      value = value * 10 + d;
      digits++;
    }
  }
  if (field <= LAST) fail("too few fields");
  const num = (f: number): number => fields[f] as number;
  return {
    pid,
    comm: buf.toString("latin1", open + 1, close),
    state: String.fromCharCode(buf[stateAt] ?? 0x3f),
    ppid: num(PPID),
    flags: num(FLAGS),
    utimeTicks: num(UTIME),
    stimeTicks: num(STIME),
    threads: num(THREADS),
    startTicks: num(STARTTIME),
    rssPages: num(RSS),
  };
}
