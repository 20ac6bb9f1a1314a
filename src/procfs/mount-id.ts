// The mount a path resolves to, by its mount id: opened with O_PATH (no read permission needed,
// nothing read from the file) and looked up in procwatch's own /proc/self/fdinfo/FD ("mnt_id:",
// proc(5)). st_dev cannot tell two mounts of one filesystem apart (a bind mount in a user
// namespace has the same device as its source); the mount id can: mount ids are unique among the
// mounts that exist, and a mount belongs to exactly one mount namespace.
// Reads and classifies; evaluate/ decides what equal mount ids prove.
import { closeSync, openSync } from "node:fs";
import { classifyError, isFailure, readBytes, type ReadFailure } from "./read.js";

/** O_PATH from asm-generic/fcntl.h (x86-64, arm64, ppc64le, s390x alike); node:fs does not
 * export it. open(2) passes unknown bits through, so on a kernel without O_PATH (< 2.6.39) the
 * open is a plain read-only one. */
const O_PATH = 0o10000000;
const MNT_ID = /^mnt_id:\s*(\d+)$/m;

/** The mount id of the mount `path` resolves to (following links, magic /proc ones included). */
export function readMountId(path: string): number | ReadFailure {
  let fd: number;
  try {
    fd = openSync(path, O_PATH);
  } catch (err) {
    return classifyError(err);
  }
  try {
    // Our own fd: always the real /proc, whatever --proc-root says.
    const info = readBytes(`/proc/self/fdinfo/${fd}`);
    if (isFailure(info)) return { failure: "other", code: `fdinfo: ${info.code}` };
    const m = MNT_ID.exec(info.text);
    return m?.[1] === undefined ? { failure: "unsupported", code: "fdinfo: no mnt_id" } : Number(m[1]);
  } finally {
    closeSync(fd);
  }
}
