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
  /** Major page faults (ones that read from disk), field 12. */
  readonly majorFaults: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  readonly threads: number;
  readonly startTicks: number;
  readonly rssPages: number;
}

/** PF_KTHREAD (include/linux/sched.h): set for kernel threads. */
export const PF_KTHREAD = 0x00200000;

// Field numbers (proc(5), 1-based) that procwatch keeps. Fields 3.. follow "pid (comm) ".
const PPID = 4;
const FLAGS = 9;
const MAJFLT = 12;
const UTIME = 14;
const STIME = 15;
const THREADS = 20;
const STARTTIME = 22;
const RSS = 24;
const LAST = RSS;

const SPACE = 0x20;

/**
 * comm may hold spaces, '(' and ')': only the LAST ')' ends it (proc(5)); a process named
 * "a) Z 1 1 1" must not make us read state Z and ppid 1. Built on native string operations
 * (lastIndexOf, split with a limit): this runs once per process in a process that lives ~0.1 s,
 * before the JIT has warmed up; a byte-by-byte loop was 2.4x slower there, and a regular
 * expression per field cost another 10%. The numeric fields are written by the kernel, never by
 * the process, so a digit test at both ends suffices to catch a malformed (fixture) file.
 */
export function parseStat(text: string, path = "stat"): ProcStat {
  return parseStatText(text, path, undefined);
}

function parseStatText(text: string, path: string, bytes: Buffer | undefined): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 2 || close < open || text.charCodeAt(open - 1) !== SPACE) throw new ProcParseError(path, text, "no (comm) field");
  const pidText = text.slice(0, open - 1);
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText)) throw new ProcParseError(path, text, "pid is not a number");
  // fields from 3 (state) on; index i holds field i + 3
  const rest = text.slice(close + 2).split(" ", LAST - 2);
  if (rest.length < LAST - 2) throw new ProcParseError(path, text, "too few fields");
  const num = (field: number): number => {
    const raw = rest[field - 3] as string;
    const v = Number(raw);
    // Number("") is 0 and Number(" 7") is 7: the field must start with '-' or a digit and end in one
    const first = raw.charCodeAt(0);
    const last = raw.charCodeAt(raw.length - 1);
    if (!Number.isSafeInteger(v) || !(first === 45 || isDigit(first)) || !isDigit(last)) {
      throw new ProcParseError(path, raw.replace(/\n$/, ""), `field ${field} is not a number`);
    }
    return v;
  };
  return {
    pid,
    // From the bytes when there are any: V8 makes a slice of 13 or more characters a view that
    // keeps the whole stat text (~300 bytes) alive for as long as the record lives; a copy is
    // the name alone. The daemon keeps a scan's records (thousands) until the next scan.
    comm: bytes === undefined ? text.slice(open + 1, close) : bytes.toString("latin1", open + 1, close),
    state: (rest[0] ?? "")[0] ?? "?",
    ppid: num(PPID),
    flags: num(FLAGS),
    majorFaults: num(MAJFLT),
    utimeTicks: num(UTIME),
    stimeTicks: num(STIME),
    threads: num(THREADS),
    startTicks: num(STARTTIME),
    rssPages: num(RSS),
  };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** parseStat over raw bytes (the reader's shared buffer; latin1 maps each byte to one character,
 * so positions in the text are positions in the buffer). */
export function parseStatBytes(buf: Buffer, length: number, path = "stat"): ProcStat {
  return parseStatText(buf.toString("latin1", 0, length), path, buf);
}
