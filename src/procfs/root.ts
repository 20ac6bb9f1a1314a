// Whether a directory is a proc filesystem procwatch can scan: checked once before a check,
// explain, run or validate starts (checkProcRoot), and on the listing each daemon scan reads
// (listProcRoot). A wrong --proc-root (/host for /host/proc, /tmp) would otherwise read as "no
// processes": every 0-0 rule green. checkProcRoot reads entries only until the first process
// directory.
import { opendirSync, readdirSync, statSync } from "node:fs";
import type { Snapshot } from "./types.js";

export type ProcRootProblem =
  /** The root cannot be listed (ENOENT, EACCES, ENOTDIR...). */
  | { readonly kind: "unreadable"; readonly procRoot: string; readonly code: string }
  /** It can, but it holds no process directory or no `stat` file: not procfs, nor shaped like it. */
  | { readonly kind: "not-proc"; readonly procRoot: string; readonly missing: "process directories" | "stat file" };

/** undefined when `procRoot` looks like procfs: a top-level `stat` file (system statistics,
 * proc(5)) and at least one numeric directory (procwatch itself is one, even under hidepid=2).
 * Fixture trees shaped like /proc pass (test/helpers/proctree.ts writes a `stat`). */
export function checkProcRoot(procRoot: string): ProcRootProblem | undefined {
  let hasPid = false;
  try {
    // opendir(3) opens with O_DIRECTORY: a FIFO or file named as the root fails with ENOTDIR
    // instead of blocking.
    // /proc lists its ~70 fixed entries before the first PID: one batch of 128 reaches it.
    const dir = opendirSync(procRoot, { bufferSize: 128 });
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        if (/^\d+$/.test(entry.name) && (entry.isDirectory() || entry.isSymbolicLink())) {
          hasPid = true;
          break;
        }
      }
    } finally {
      dir.closeSync();
    }
  } catch (err) {
    return { kind: "unreadable", procRoot, code: errnoOf(err) };
  }
  if (!hasPid) return { kind: "not-proc", procRoot, missing: "process directories" };
  return statFileProblem(procRoot);
}

function statFileProblem(procRoot: string): ProcRootProblem | undefined {
  try {
    if (!statSync(`${procRoot}/stat`).isFile()) return { kind: "not-proc", procRoot, missing: "stat file" };
  } catch (err) {
    const code = errnoOf(err);
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "not-proc", procRoot, missing: "stat file" };
    return { kind: "unreadable", procRoot, code };
  }
  return undefined;
}

/** Numeric names tried as process directories before a listing counts as not procfs. */
const PID_TRIES = 64;

/**
 * The root's entries, checked as checkProcRoot checks them, for a scan that lists the root anyway
 * (the daemon's, every interval): checkProcRoot's own listing cost ~1 ms a scan at 1,000
 * processes, since the kernel fills its first getdents buffer with PIDs. Same answers: a numeric
 * entry that is a directory (or a link to one) and a `stat` file.
 */
export function listProcRoot(procRoot: string): { readonly names: string[] } | ProcRootProblem {
  let names: string[];
  try {
    // readdir opens with O_DIRECTORY too: a FIFO named as the root fails with ENOTDIR.
    names = readdirSync(procRoot);
  } catch (err) {
    return { kind: "unreadable", procRoot, code: errnoOf(err) };
  }
  let tries = 0;
  let hasPid = false;
  for (const name of names) {
    if (!isPidName(name)) continue;
    if (isDirectory(`${procRoot}/${name}`)) {
      hasPid = true;
      break;
    }
    if (++tries >= PID_TRIES) break;
  }
  if (!hasPid) return { kind: "not-proc", procRoot, missing: "process directories" };
  return statFileProblem(procRoot) ?? { names };
}

/** All decimal digits. The first character alone is not enough: a fixture tree, or a /host/proc
 * bind that holds other entries, may have names such as "1x" or "2.old". */
export function isPidName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A directory, following links; false when gone (the process left) or unreadable. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    errnoOf(err); // anything but an errno is a bug, and is thrown
    return false;
  }
}

/** One line naming the root: "cannot read /x: ENOENT", "/tmp is not a proc filesystem (...)". */
export function describeProcRootProblem(p: ProcRootProblem): string {
  if (p.kind === "unreadable") return `cannot read ${p.procRoot}: ${p.code}`;
  return `${p.procRoot} is not a proc filesystem (no ${p.missing}); point --proc-root (or proc_root:) at where proc is mounted, e.g. /proc or /host/proc`;
}

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") throw err;
  return code;
}

/** The snapshot of a scan that could not read its root: no process seen, and every process
 * undecided (visibility hidden), so rules that could fail are unknown, never a silent pass. */
export function failedRootSnapshot(problem: ProcRootProblem, clock: () => bigint = process.hrtime.bigint): Snapshot {
  return {
    atNs: clock(),
    atMs: Date.now(),
    processes: [],
    skipped: { vanished: 0, denied: 0, parse: 0, other: 1 },
    visibility: { kind: "hidden", reason: `the scan failed: ${describeProcRootProblem(problem)}` },
    unreadable: 0,
  };
}
