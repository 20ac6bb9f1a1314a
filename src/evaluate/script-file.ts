// Pure: is an interpreter's script path (from argv) the file at that path here? A path rule
// counts an interpreter for its script only if that is proven: in a private mount namespace a
// user can bind-mount another file over /usr/local/sbin/x.pl and run `perl /usr/local/sbin/x.pl`.
// The reasons are byte strings (paths); output escapes them.
import type { ProcessRecord } from "../procfs/types.js";
import { type ExeFileVerdict, namespaces, NO_FILE } from "./exe-file.js";

/**
 * Proof, in this order: the script file the process holds open has the dev:inode of the file at
 * the path (perl keeps it open with __END__ or __DATA__; python, node and plain perl scripts
 * close it after reading); or the process resolves absolute paths from procwatch's own root
 * (same mount and directory), so the path it was started with names the file procwatch sees.
 * A held file that is another file is a near miss; another root, with the script not held, is a
 * near miss too (a user namespace's or a container's view, never proven); unreadable is unknown.
 */
export function evaluateScriptFile(rec: ProcessRecord, script: string): ExeFileVerdict {
  const f = rec.scriptFile;
  if (f === undefined) return { kind: "unknown", why: `script file unreadable (${rec.unknownWhy?.scriptFile ?? "unknown"})` };
  const held = f.held.filter((h) => h.path === script);
  for (const h of held) {
    if ("error" in h.atPath || h.atPath.dev !== h.file.dev || h.atPath.ino !== h.file.ino) continue;
    return { kind: "same", how: `held open as fd ${h.fd}, the file at ${script} here (same dev:inode ${h.file.dev}:${h.file.ino})` };
  }
  // Held, not deleted, and still another file: the process sees another file at that path.
  const other = held.find((h) => !h.deleted);
  if (other !== undefined) {
    if ("error" in other.atPath) {
      if (!NO_FILE.has(other.atPath.error)) return { kind: "unknown", why: `cannot stat ${script} (${other.atPath.error})` };
      return { kind: "other", reason: `script ${script}: no such file here (${other.atPath.error}), so not the file this rule names${namespaces(f)}` };
    }
    const a = other.atPath;
    return { kind: "other", reason: `script ${script} held open as fd ${other.fd} is another file than ${script} here (dev:inode ${other.file.dev}:${other.file.ino}, here ${a.dev}:${a.ino})${namespaces(f)}` };
  }
  const notHeld = f.heldError === undefined ? "not held open" : `open files unreadable (${f.heldError})`;
  if (f.root === "same") {
    return { kind: "same", how: `${notHeld}; the process resolves paths from procwatch's root (same mount and directory), so argv names the path procwatch sees (not compared by dev:inode)` };
  }
  if (typeof f.root === "object") return { kind: "unknown", why: `script ${script} ${notHeld}, and the process's root is unreadable (${f.root.error})` };
  if (f.heldError !== undefined) return { kind: "unknown", why: `script ${script}: ${notHeld}, and the process resolves paths from another root than procwatch's${namespaces(f)}` };
  return { kind: "other", reason: `script ${script} not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${script} here${namespaces(f)}` };
}
