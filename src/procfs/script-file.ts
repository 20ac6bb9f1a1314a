// What can prove an interpreter's script path (which comes from argv): the files the process holds
// open whose fd link names one of its argv words, stat'ed through the link and at the path, and
// whether the process resolves absolute paths from procwatch's own root. Knows nothing of
// interpreters: the caller asks only for processes whose script path a rule matched.
// Reads and classifies; evaluate/script-file.ts decides.
import { readdirSync } from "node:fs";
import { type ExeFileCache, linkFailure, namespaces, statAtPath } from "./exe-file.js";
import { readMountId } from "./mount-id.js";
import { classifyError, isFailure, readLinkBytes, type ReadFailure, statIdentity } from "./read.js";
import type { FileId, HeldArgvFile, ScriptFileCheck } from "./types.js";

/** Interpreters open the script before anything else (perl: fd 3); a process with thousands of
 * open files is not read link by link for it. */
const FDS_READ = 64;
const DELETED = " (deleted)";

export function readScriptFile(pidDir: string, argv: readonly string[], cache: ExeFileCache): ScriptFileCheck | ReadFailure {
  const words = new Set(argv.slice(1).filter((a) => a.startsWith("/")));
  const held: HeldArgvFile[] = [];
  let heldError: string | undefined;
  try {
    const fds = readdirSync(`${pidDir}/fd`).map(Number).filter(Number.isInteger).sort((a, b) => a - b).slice(0, FDS_READ);
    for (const fd of fds) {
      const target = readLinkBytes(`${pidDir}/fd/${fd}`);
      if (isFailure(target)) continue; // closed since readdir, or refused: it proves nothing either way
      const deleted = target.endsWith(DELETED);
      const path = deleted ? target.slice(0, -DELETED.length) : target;
      if (!words.has(path)) continue;
      const file = statIdentity(`${pidDir}/fd/${fd}`);
      if (isFailure(file)) continue;
      held.push({ path, deleted, fd, file: { dev: file.dev, ino: file.ino }, atPath: statAtPath(path, cache) });
    }
  } catch (err) {
    const r = linkFailure(pidDir, classifyError(err));
    if (r.failure === "vanished") return r;
    heldError = r.code;
  }
  const root = sameRoot(pidDir, cache);
  if (typeof root === "object" && "failure" in root) return root;
  return { held, ...(heldError === undefined ? {} : { heldError }), root, ...namespaces(pidDir, cache) };
}

/** /proc/PID/root against procwatch's root: the same mount (a user namespace's copy of "/" has
 * another mount id but the same dev:inode) and the same directory (a chroot has another inode). */
function sameRoot(pidDir: string, cache: ExeFileCache): ScriptFileCheck["root"] | ReadFailure {
  if (cache.ownRoot === undefined) {
    const own = rootOf(`${cache.procRoot}/self/root`);
    cache.ownRoot = isFailure(own) ? { error: `${cache.procRoot}/self/root: ${own.code}` } : own;
  }
  const r = rootOf(`${pidDir}/root`);
  if (isFailure(r)) {
    const f = linkFailure(pidDir, r);
    return f.failure === "vanished" ? f : { error: f.code };
  }
  const own = cache.ownRoot;
  if ("error" in own) return own;
  return r.mount === own.mount && r.file.dev === own.file.dev && r.file.ino === own.file.ino ? "same" : "other";
}

function rootOf(path: string): { readonly mount: number; readonly file: FileId } | ReadFailure {
  const st = statIdentity(path);
  if (isFailure(st)) return st;
  const mount = readMountId(path);
  return isFailure(mount) ? mount : { mount, file: { dev: st.dev, ino: st.ino } };
}
