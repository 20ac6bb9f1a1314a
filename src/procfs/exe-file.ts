// stat(2) through /proc/PID/exe and of the path that link names, for path rules and exe= (spoof
// resistance, proc-facts §1): the link's text is the path in the process's own mount namespace,
// which an unprivileged user namespace can bind-mount any file over; the dev:inode through the
// link is the file the kernel really executes. Reads and classifies; evaluate/exe-file.ts decides.
import { isFailure, readLinkBytes, type ReadFailure, statIdentity } from "./read.js";
import type { ExeFileCheck, FileId } from "./types.js";

/** Per scan: paths already stat'ed (daemons share a few binaries, so most lookups hit) and
 * procwatch's own mount namespace, read on the first mismatch. */
export interface ExeFileCache {
  readonly atPath: Map<string, FileId | { readonly error: string }>;
  ownMountNs?: string | null;
}

export function newExeFileCache(): ExeFileCache {
  return { atPath: new Map() };
}

/** The running file against the file at `exePath` (the exe link's text, " (deleted)" removed). */
export function readExeFile(pidDir: string, exePath: string, cache: ExeFileCache): ExeFileCheck | ReadFailure {
  const running = statIdentity(`${pidDir}/exe`);
  if (isFailure(running)) {
    // ENOENT with the process still there is a dangling link: only fixture trees have those (a
    // live process's exe always resolves), so it is "cannot compare", not "the process left".
    if (running.failure !== "vanished" || isFailure(statIdentity(`${pidDir}/stat`))) return running;
    return { failure: "unsupported", code: running.code };
  }
  const atPath = statAtPath(exePath, cache);
  const check: ExeFileCheck = { running: { dev: running.dev, ino: running.ino }, atPath };
  if (!("error" in atPath) && atPath.dev === running.dev && atPath.ino === running.ino) return check;
  // They differ: where the process's file came from helps the operator (mount namespaces).
  const mountNs = readLinkBytes(`${pidDir}/ns/mnt`);
  if (cache.ownMountNs === undefined) {
    const own = readLinkBytes("/proc/self/ns/mnt");
    cache.ownMountNs = isFailure(own) ? null : own;
  }
  return {
    ...check,
    ...(isFailure(mountNs) ? {} : { mountNs }),
    ...(cache.ownMountNs === null ? {} : { ownMountNs: cache.ownMountNs }),
  };
}

function statAtPath(path: string, cache: ExeFileCache): FileId | { readonly error: string } {
  let known = cache.atPath.get(path);
  if (known === undefined) {
    const st = statIdentity(path);
    known = isFailure(st) ? { error: st.code } : { dev: st.dev, ino: st.ino };
    cache.atPath.set(path, known);
  }
  return known;
}
