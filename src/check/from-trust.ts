// Who is answering `check --from`: the owner checks that stop a squatter. While the daemon is down
// any user may bind its port, or create a socket file in a directory they can write; the answer
// is then theirs. Reads the kernel's socket tables and stats files; decides nothing else.
//
// TCP: after connecting, the listening sockets on the daemon's port (/proc/net/tcp and tcp6, the
// uid column: the uid that created the socket, proc(5)) must all belong to an expected owner.
// Checked while our connection is open, so the socket we talk to is among them; a second
// listener of another user on the same port is impossible (SO_REUSEPORT needs the same uid).
// Unix socket: nobody but a trusted user can have put the file there or swap it. Every directory
// above the socket belongs to root or the expected owner and is writable by nobody else (a sticky
// one above the last is fine: others cannot replace its entries). The socket's own directory may
// also belong to another user when its parent is root's and writable by root alone: only root can
// have made it and handed it over (systemd's RuntimeDirectory= for a DynamicUser= service:
// /run/procwatch, owned by the service's user); its owner may then own the socket too.
import { lstatSync } from "node:fs";
import { dirname } from "node:path";
import { isNetTableFailure, readNetTables } from "../procfs/net.js";

/** The uids an answer may come from: root, and the daemon's user (--from-owner, or by default
 * the user named procwatch if there is one). */
export interface ExpectedOwner {
  readonly uids: readonly number[];
  /** For messages: "root", "root or procwatch (uid 998)". */
  readonly text: string;
}

function isExpected(uid: number, owner: ExpectedOwner): boolean {
  return owner.uids.includes(uid);
}

const IPV4_ANY = "00000000000000000000ffff00000000";
const IPV6_ANY = "00000000000000000000000000000000";

/**
 * Undefined when every TCP socket listening on `addressKey`:`port` (or on a wildcard address and
 * that port) belongs to the expected owner; otherwise why not. `netDir`: /proc/self/net, or a
 * fixture's.
 */
export function tcpOwnerProblem(addressKey: string, port: number, owner: ExpectedOwner, uidName: (uid: number) => string, netDir = "/proc/self/net"): string | undefined {
  const tables = readNetTables(netDir);
  if (isNetTableFailure(tables)) return `cannot read ${netDir}/${tables.file} to check who listens there (${tables.code})`;
  const listeners = tables.filter((s) => s.proto === "tcp" && s.port === port && (s.addressKey === addressKey || s.addressKey === IPV4_ANY || s.addressKey === IPV6_ANY));
  if (listeners.length === 0) return `no listening socket on port ${port} in ${netDir}/tcp{,6} (another network namespace?)`;
  const stranger = listeners.find((s) => !isExpected(s.uid, owner));
  if (stranger === undefined) return undefined;
  return `the socket listening on port ${port} belongs to ${uidName(stranger.uid)}, not ${owner.text}: `
    + "while the daemon is down any user can listen there (--from-owner names the daemon's user if it is not root)";
}

/** Undefined when the socket file and the directories above it are safe (see the file's head). */
export function unixOwnerProblem(path: string, owner: ExpectedOwner, uidName: (uid: number) => string): string | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    return `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  if (!st.isSocket()) return `${path} is not a socket${st.isSymbolicLink() ? " (a symbolic link)" : ""}`;
  const parent = dirname(path);
  const above = directoryProblem(dirname(parent), owner, uidName, path, false);
  if (above !== undefined) return above;
  let p;
  try {
    p = lstatSync(parent);
  } catch (err) {
    return `${parent}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  if (!p.isDirectory()) return `${parent} is not a directory${p.isSymbolicLink() ? " (a symbolic link)" : ""}`;
  if ((p.mode & 0o022) !== 0) return `${parent} is writable by ${(p.mode & 0o002) !== 0 ? "every user" : "its group"} (mode ${(p.mode & 0o7777).toString(8)}): anyone there could have placed ${path}`;
  let delegate: number | undefined;
  if (!isExpected(p.uid, owner)) {
    const grand = lstatSync(dirname(parent));
    if (grand.uid !== 0 || (grand.mode & 0o022) !== 0) return `${parent} belongs to ${uidName(p.uid)}, not ${owner.text}: another user could have placed ${path}`;
    delegate = p.uid;
  }
  if (!isExpected(st.uid, owner) && st.uid !== delegate) return `${path} belongs to ${uidName(st.uid)}, not ${owner.text}${delegate === undefined ? "" : ` or ${uidName(delegate)}, owner of ${parent}`}`;
  return undefined;
}

/** `dir` and every directory above it: owned by a trusted user, writable by nobody else (sticky ones aside). */
function directoryProblem(dir: string, owner: ExpectedOwner, uidName: (uid: number) => string, path: string, strict: boolean): string | undefined {
  for (let first = strict; ; first = false) {
    let d;
    try {
      d = lstatSync(dir);
    } catch (err) {
      return `${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    if (!d.isDirectory()) return `${dir} is not a directory${d.isSymbolicLink() ? " (a symbolic link)" : ""}`;
    if (!isExpected(d.uid, owner)) return `${dir} belongs to ${uidName(d.uid)}, not ${owner.text}: another user could have placed ${path}`;
    const othersWrite = (d.mode & 0o022) !== 0;
    const sticky = (d.mode & 0o1000) !== 0;
    if (othersWrite && (first || !sticky)) {
      return `${dir} is writable by ${(d.mode & 0o002) !== 0 ? "every user" : "its group"} (mode ${(d.mode & 0o7777).toString(8)}): anyone there could have placed ${path}`;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
