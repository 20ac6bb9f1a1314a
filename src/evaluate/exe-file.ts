// Pure: does a process run the file at the path its exe link names? A path rule or exe= counts a
// process only if it does: an unprivileged user namespace can bind-mount any file over
// /usr/sbin/sshd for its own processes, whose exe link then reads right (proc-facts §1, §9 A3).
// The reasons are byte strings (paths); output escapes them.
import type { ExeFileCheck, ProcessRecord } from "../procfs/types.js";

export type ExeFileVerdict =
  | { readonly kind: "same" }
  | { readonly kind: "other"; readonly reason: string }
  | { readonly kind: "unknown"; readonly why: string };

const SAME: ExeFileVerdict = { kind: "same" };
/** "No file at that path" errors: the process's path does not exist where procwatch looks. */
const NO_FILE = new Set(["ENOENT", "ENOTDIR"]);

/**
 * Judges a process whose exe has been read and whose Field.exeFile has been asked for.
 * A deleted (replaced) executable is compared by device only: the file at the path is its
 * replacement, so the inode differs by design; a package upgrade renames the new file into the
 * same directory, so the filesystem stays. deleted-exe reports those processes anyway.
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
  if (exe.deleted) {
    if (at.dev === f.running.dev) return SAME;
    return { kind: "other", reason: `exe ${path} (deleted) was on another filesystem than ${path} here (device ${f.running.dev}, here ${at.dev})${namespaces(f)}` };
  }
  if (at.dev === f.running.dev && at.ino === f.running.ino) return SAME;
  return { kind: "other", reason: `exe ${path} is another file than ${path} here (dev:inode ${f.running.dev}:${f.running.ino}, here ${at.dev}:${at.ino})${namespaces(f)}` };
}

/** Where the other file came from: "; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]". */
function namespaces(f: ExeFileCheck): string {
  if (f.mountNs === undefined || f.mountNs === f.ownMountNs) return "";
  return `; mount namespace ${f.mountNs}${f.ownMountNs === undefined ? "" : `, procwatch's ${f.ownMountNs}`}`;
}
