// A process's open sockets from its fd links (/proc/PID/fd/N → "socket:[INODE]"), and the reverse:
// which processes hold given sockets. Reads and classifies; knows nothing about ports or rules.
// Another user's fd directory needs two things (fs/proc/fd.c): listing it passes
// proc_fd_permission, i.e. the file modes of a directory of mode 0500 owned by the process's
// uid (CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE for anyone else), and reading each fd/N link
// needs ptrace read access (PTRACE_MODE_READ_FSCREDS: CAP_SYS_PTRACE). Without either, EACCES,
// which the caller turns into "unknown"; root has both. test/e2e/unit-caps.test.ts shows each.
// Threads normally share one fd table; a thread that unshared its files (CLONE_FILES off) has
// sockets only /proc/PID/task/TID/fd shows: not read here (no daemon we know of does that).
import { readdirSync } from "node:fs";
import { ProcParseError } from "./errors.js";
import { parseOpenFilesLimit } from "./limits.js";
import { classifyError, isFailure, readBytes, readLinkBytes, type ReadFailure, readRaw } from "./read.js";

const SOCKET_PREFIX = "socket:[";

/** Inodes of the sockets among the process's open files; a failure means the directory was
 * unreadable (denied) or the process left (vanished). */
export function readSocketInodes(pidDir: string): number[] | ReadFailure {
  let fds: string[];
  try {
    fds = readdirSync(`${pidDir}/fd`);
  } catch (err) {
    return classifyError(err);
  }
  const inodes: number[] = [];
  let closedMeanwhile = false;
  for (const fd of fds) {
    const target = readLinkBytes(`${pidDir}/fd/${fd}`);
    if (isFailure(target)) {
      // An fd closed between readdir and readlink is normal (and so is readdir's own fd): skip it.
      // Denied after a readable directory would mean the process changed credentials: unknown.
      if (target.failure === "vanished") closedMeanwhile = true;
      else return target;
      continue;
    }
    if (target.startsWith(SOCKET_PREFIX) && target.endsWith("]")) inodes.push(Number(target.slice(SOCKET_PREFIX.length, -1)));
  }
  // Every link gone may mean the process exited: then its sockets say nothing.
  if (closedMeanwhile && isFailure(readRaw(`${pidDir}/stat`, 1))) return { failure: "vanished", code: "ESRCH" };
  return inodes;
}

/**
 * How many files the process has open (entries of fd/, counted without reading each link) and
 * its soft RLIMIT_NOFILE from limits; undefined softLimit: unlimited. The limits file is readable
 * by anyone; the fd directory needs the access described above.
 */
export function readFdUsage(pidDir: string): { open: number; softLimit?: number } | ReadFailure {
  let open: number;
  try {
    open = readdirSync(`${pidDir}/fd`).length;
  } catch (err) {
    return classifyError(err);
  }
  const limits = readBytes(`${pidDir}/limits`, 8 * 1024);
  if (isFailure(limits)) return limits;
  try {
    const softLimit = parseOpenFilesLimit(limits.text, `${pidDir}/limits`);
    return softLimit === undefined ? { open } : { open, softLimit };
  } catch (err) {
    if (!(err instanceof ProcParseError)) throw err;
    return { failure: "other", code: "EPARSE" };
  }
}

export interface SocketHolders {
  /** PID and socket inode for every process under the root holding one of the sockets. */
  readonly holders: readonly { readonly pid: number; readonly inode: number }[];
  /** Processes whose fd links could not be read (another user's, when not root). */
  readonly unreadable: number;
}

/**
 * Who holds these sockets: the fd links of every process under the root. Costly (every open file
 * on the host), so only for detail lines, when a listen= rule did not hold. PIDs in numeric order.
 */
export function findSocketHolders(procRoot: string, inodes: ReadonlySet<number>): SocketHolders {
  const holders: { pid: number; inode: number }[] = [];
  let unreadable = 0;
  const pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    const held = readSocketInodes(`${procRoot}/${pid}`);
    if (isFailure(held)) {
      if (held.failure !== "vanished") unreadable++;
      continue;
    }
    for (const inode of new Set(held)) if (inodes.has(inode)) holders.push({ pid, inode });
  }
  return { holders, unreadable };
}
