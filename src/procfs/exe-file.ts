// stat(2) through /proc/PID/exe and of the path that link names, for path rules and exe= (spoof
// resistance, proc-facts §1): the link's text is the path in the process's own mount namespace,
// which an unprivileged user namespace can bind-mount any file over; the dev:inode through the
// link is the file the kernel really executes. For a replaced (" (deleted)") executable the
// inodes differ by design, so the mount each resolves to is read too (mount-id.ts).
// Reads and classifies; evaluate/exe-file.ts decides.
import { readMountId } from "./mount-id.js";
import { isFailure, readLinkBytes, type ReadFailure, statIdentity } from "./read.js";
import type { ExeFileCheck, FileId, MountId } from "./types.js";

/** Per scan: paths already stat'ed (daemons share a few binaries, so most lookups hit), their
 * mount ids, and procwatch's own mount namespace and root (<proc root>/self), read on first need. */
export interface ExeFileCache {
  readonly procRoot: string;
  readonly atPath: Map<string, FileId | { readonly error: string }>;
  readonly mountAtPath: Map<string, MountId>;
  ownMountNs?: string | null;
  ownRoot?: { readonly mount: number; readonly file: FileId } | { readonly error: string };
}

export function newExeFileCache(procRoot = "/proc"): ExeFileCache {
  return { procRoot, atPath: new Map(), mountAtPath: new Map() };
}

/** The running file against the file at `exePath` (the exe link's text, " (deleted)" removed). */
export function readExeFile(pidDir: string, exe: { readonly path: string; readonly deleted: boolean }, cache: ExeFileCache): ExeFileCheck | ReadFailure {
  const running = statIdentity(`${pidDir}/exe`);
  if (isFailure(running)) return linkFailure(pidDir, running);
  const atPath = statAtPath(exe.path, cache);
  const check: ExeFileCheck = { running: { dev: running.dev, ino: running.ino }, atPath };
  if (!exe.deleted && !("error" in atPath) && atPath.dev === running.dev && atPath.ino === running.ino) return check;
  // A replaced executable: its mount, against the mount the path resolves to here. Same device is
  // not enough: a bind mount of a since-deleted file, or a file reached through another
  // process's /proc/PID/root, has procwatch's device and reads "PATH (deleted)".
  let mounts: ExeFileCheck["mounts"];
  if (exe.deleted) {
    const r = readMountId(`${pidDir}/exe`);
    if (isFailure(r) && r.failure === "vanished") return r;
    mounts = { running: isFailure(r) ? { error: r.code } : r, atPath: mountAtPath(exe.path, cache) };
  }
  return { ...check, ...(mounts === undefined ? {} : { mounts }), ...namespaces(pidDir, cache) };
}

/** ENOENT with the process still there is a dangling link: only fixture trees have those (a live
 * process's exe and fd links always resolve), so it is "cannot compare", not "the process left". */
export function linkFailure(pidDir: string, r: ReadFailure): ReadFailure {
  if (r.failure !== "vanished" || isFailure(statIdentity(`${pidDir}/stat`))) return r;
  return { failure: "unsupported", code: r.code };
}

/** Where the process's files come from (the detail line): its mount namespace and procwatch's
 * (<proc root>/self/ns/mnt, so a fixture tree can say), when they differ; as far as readable. */
export function namespaces(pidDir: string, cache: ExeFileCache): { mountNs?: string; ownMountNs?: string } {
  const mountNs = readLinkBytes(`${pidDir}/ns/mnt`);
  if (cache.ownMountNs === undefined) {
    const own = readLinkBytes(`${cache.procRoot}/self/ns/mnt`);
    cache.ownMountNs = isFailure(own) ? null : own;
  }
  if (mountNs === cache.ownMountNs) return {};
  return {
    ...(isFailure(mountNs) ? {} : { mountNs }),
    ...(cache.ownMountNs === null ? {} : { ownMountNs: cache.ownMountNs }),
  };
}

export function statAtPath(path: string, cache: ExeFileCache): FileId | { readonly error: string } {
  let known = cache.atPath.get(path);
  if (known === undefined) {
    const st = statIdentity(path);
    known = isFailure(st) ? { error: st.code } : { dev: st.dev, ino: st.ino };
    cache.atPath.set(path, known);
  }
  return known;
}

function mountAtPath(path: string, cache: ExeFileCache): MountId {
  let known = cache.mountAtPath.get(path);
  if (known === undefined) {
    const r = readMountId(path);
    known = isFailure(r) ? { error: r.code } : r;
    cache.mountAtPath.set(path, known);
  }
  return known;
}
