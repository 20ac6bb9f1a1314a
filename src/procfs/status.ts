// Pure: /proc/PID/status text → the identity lines procwatch uses. Unknown keys are ignored so a
// newer kernel never breaks the parse. The Name: line is not used: it escapes only \n and \\.
// The daemon parses this file for every process every scan, so each value is first read the way
// the kernel writes it (blanks, decimal digits, maybe " kB"), by character codes; anything else
// takes the general path (trim, split, regular expressions), which decides it exactly as before.
// The general path alone cost ~2 µs more per process, most of a scan's parse time.
// parseStatusReference is that general path alone: the tests' oracle for the fast one.
import { ProcParseError } from "./errors.js";
import type { IdSet } from "./types.js";

export interface ProcStatus {
  readonly uids: IdSet;
  readonly gids: IdSet;
  /** VmRSS in KiB; absent for kernel threads and zombies, which have no memory of their own. */
  readonly rssKib?: number;
  /** voluntary_ctxt_switches + nonvoluntary_ctxt_switches of the thread-group leader. */
  readonly contextSwitches?: { readonly voluntary: number; readonly involuntary: number };
}

export function parseStatus(text: string, path = "status"): ProcStatus {
  return parse(text, path, true);
}

/** parseStatus without the fast paths (test/procfs/status.test.ts compares the two). */
export function parseStatusReference(text: string, path = "status"): ProcStatus {
  return parse(text, path, false);
}

// The keys with the newline before them: a key counts only at the start of a line, and the
// first line (Name:, the process's own text) is never one.
const UID = "\nUid:";
const GID = "\nGid:";
const VMRSS = "\nVmRSS:";
const VOLUNTARY = "\nvoluntary_ctxt_switches:";
const INVOLUNTARY = "\nnonvoluntary_ctxt_switches:";

function parse(text: string, path: string, fast: boolean): ProcStatus {
  const rssKib = optionalNumber(text, VMRSS, path, fast);
  const voluntary = optionalNumber(text, VOLUNTARY, path, fast);
  const involuntary = optionalNumber(text, INVOLUNTARY, path, fast);
  return {
    uids: parseIdLine(text, UID, path, fast),
    gids: parseIdLine(text, GID, path, fast),
    ...(rssKib === undefined ? {} : { rssKib }),
    ...(voluntary === undefined || involuntary === undefined ? {} : { contextSwitches: { voluntary, involuntary } }),
  };
}

/** "\nKey:\t  123 kB" → 123; absent key → undefined (older kernels, kernel threads). */
function optionalNumber(text: string, key: string, path: string, fast: boolean): number | undefined {
  const start = text.indexOf(key);
  if (start < 0) return undefined;
  const end = lineEnd(text, start + 1);
  if (fast) {
    const n = kernelNumber(text, start + key.length, end);
    if (n !== undefined) return n;
  }
  const value = text.slice(start + key.length, end).trim().replace(/ kB$/, "");
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new ProcParseError(path, value, `${key.slice(1)} is not a number`);
  return n;
}

function parseIdLine(text: string, key: string, path: string, fast: boolean): IdSet {
  const start = text.indexOf(key);
  if (start < 0) throw new ProcParseError(path, text.slice(0, 40), `no ${key.slice(1)} line`);
  const end = lineEnd(text, start + 1);
  if (fast) {
    const ids = kernelIds(text, start + key.length, end);
    if (ids !== undefined) return ids;
  }
  const line = text.slice(start + key.length, end);
  const ids = line.trim().split(/\s+/).map(Number);
  const [real, effective, saved, fs] = ids;
  if (ids.length !== 4 || !ids.every((n) => Number.isSafeInteger(n) && n >= 0) || real === undefined
    || effective === undefined || saved === undefined || fs === undefined) {
    throw new ProcParseError(path, line, `${key.slice(1)} needs four ids`);
  }
  return { real, effective, saved, fs };
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

const TAB = 9;
const SPACE = 32;
/** A longer run of digits may not be a safe integer: the general path decides it. */
const MAX_DIGITS = 15;

function skipBlanks(text: string, from: number, end: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); i < end && (c === TAB || c === SPACE); c = text.charCodeAt(++i));
  return i;
}

/** The end of a run of at most MAX_DIGITS decimal digits from `from`; -1 if none or longer. */
function digitsEnd(text: string, from: number, end: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i));
  return i === from || i - from > MAX_DIGITS ? -1 : i;
}

function decimal(text: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + text.charCodeAt(i) - 48;
  return v;
}

/** Blanks, digits, an optional " kB", the end of the line: the number; otherwise undefined. */
function kernelNumber(text: string, from: number, end: number): number | undefined {
  const start = skipBlanks(text, from, end);
  const to = digitsEnd(text, start, end);
  if (to < 0) return undefined;
  if (to === end || (end - to === 3 && text.startsWith(" kB", to))) return decimal(text, start, to);
  return undefined;
}

/** Four runs of digits, each after blanks, then blanks to the end of the line; otherwise undefined. */
function kernelIds(text: string, from: number, end: number): IdSet | undefined {
  let i = from;
  const ids = [0, 0, 0, 0];
  for (let n = 0; n < 4; n++) {
    const start = skipBlanks(text, i, end);
    const to = digitsEnd(text, start, end);
    if (to < 0) return undefined;
    ids[n] = decimal(text, start, to);
    i = to;
  }
  if (skipBlanks(text, i, end) !== end) return undefined;
  return { real: ids[0] as number, effective: ids[1] as number, saved: ids[2] as number, fs: ids[3] as number };
}
