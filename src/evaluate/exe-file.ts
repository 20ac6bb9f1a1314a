// Pure: does a process run the file at the path its exe link names? A path rule or exe= counts a
// process only if that is proven: an unprivileged user namespace can bind-mount any file over
// /usr/sbin/sshd for its own processes, whose exe link then reads right (proc-facts §1, §9 A3).
// The reasons are byte strings (paths); output escapes them.
import type { ExeFileCheck, ProcessRecord } from "../procfs/types.js";

export type ExeFileVerdict =
  /** `how`: what was verified, for explain (never more than was compared). */
  | { readonly kind: "same"; readonly how: string }
  | { readonly kind: "other"; readonly reason: string }
  | { readonly kind: "unknown"; readonly why: string };

/** "No file at that path" errors: the process's path does not exist where procwatch looks. */
export const NO_FILE: ReadonlySet<string> = new Set(["ENOENT", "ENOTDIR"]);

/**
 * Judges a process whose exe has been read and whose Field.exeFile has been asked for.
 * The same dev:inode as the file at the path proves it. A replaced executable (" (deleted)", a
 * daemon pending restart after a package upgrade) has another inode than its replacement by
 * design: it counts only when it is on the very mount the path resolves to here. Same device is
 * not enough: a user namespace's bind mount of a since-deleted file, or a file run through
 * another process's /proc/PID/root, reads "PATH (deleted)" on procwatch's device, and the second
 * even from procwatch's own mount namespace; but both are on a mount procwatch's namespace does
 * not have, and a mount id names one mount of one namespace.
 */
export function evaluateExeFile(rec: ProcessRecord): ExeFileVerdict {
  const exe = rec.exe;
  const f = rec.exeFile;
  if (exe === undefined) return { kind: "unknown", why: "exe unreadable" };
  if (f === undefined) return { kind: "unknown", why: `exe file unreadable (${rec.unknownWhy?.exeFile ?? "unknown"})` };
  const at = f.atPath;
  const path = exe.path;
  if ("error" in at) {
    if (!NO_FILE.has(at.error)) return { kind: "unknown", why: `cannot stat ${path} (${at.error})` };
    return { kind: "other", reason: `exe ${path}${exe.deleted ? " (deleted)" : ""}: no such file here (${at.error}), so not the file this rule names${namespaces(f)}` };
  }
  if (exe.deleted) return evaluateReplaced(path, f);
  if (at.dev === f.running.dev && at.ino === f.running.ino) return { kind: "same", how: `the file at ${path} here (same dev:inode)` };
  return { kind: "other", reason: `exe ${path} is another file than ${path} here (dev:inode ${f.running.dev}:${f.running.ino}, here ${at.dev}:${at.ino})${namespaces(f)}` };
}

function evaluateReplaced(path: string, f: ExeFileCheck): ExeFileVerdict {
  const m = f.mounts;
  if (m === undefined) return { kind: "unknown", why: `exe ${path} (deleted): its mount was not read` };
  if (typeof m.running !== "number") return { kind: "unknown", why: `exe ${path} (deleted): its mount is unreadable (${m.running.error})` };
  if (typeof m.atPath !== "number") return { kind: "unknown", why: `exe ${path} (deleted): cannot open ${path} here (${m.atPath.error})` };
  if (m.running === m.atPath) {
    return { kind: "same", how: `replaced or deleted since it started (pending restart): on mount ${m.running}, the mount ${path} resolves to here` };
  }
  return {
    kind: "other",
    reason: `exe ${path} (deleted): replaced or deleted, and not proven to be the file that was at ${path} here (it is on mount ${m.running}, ${path} here on mount ${m.atPath})${namespaces(f)}`,
  };
}

/** Where the other file came from: "; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]". */
export function namespaces(f: { readonly mountNs?: string; readonly ownMountNs?: string }): string {
  if (f.mountNs === undefined || f.mountNs === f.ownMountNs) return "";
  return `; mount namespace ${f.mountNs}${f.ownMountNs === undefined ? "" : `, procwatch's ${f.ownMountNs}`}`;
}
