// Bounded reads of the files procwatch is told to read besides /proc (the configuration, /etc's
// passwd, group and login.defs, <selinuxfs>/enforce): never blocks in open, refuses anything but
// a regular file, and never holds more than a cap in memory. Classifies; formats no message.
//
// Why open(O_NONBLOCK|O_NOCTTY) then fstat, not stat then open: the file is judged by the very
// descriptor that is read, so nothing can swap a FIFO in between (a stat first would race). A
// FIFO opened O_RDONLY|O_NONBLOCK returns at once (fifo(7)); O_NOCTTY keeps a terminal device
// from becoming our controlling terminal. A regular file then reads to its end without waiting.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

export type FileRefusal =
  /** open or read failed: ENOENT, EACCES... */
  | { readonly kind: "unreadable"; readonly path: string; readonly code: string }
  /** A FIFO, a device, a socket or a directory (what it is, in words). */
  | { readonly kind: "not-regular"; readonly path: string; readonly what: string }
  /** Larger than the cap. `sizeBytes`: what fstat said; undefined when the size showed only in reading. */
  | { readonly kind: "too-large"; readonly path: string; readonly capBytes: number; readonly sizeBytes?: number | undefined };

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** The whole file when it is a regular file of at most `capBytes`, else why not. */
export function readRegularFile(path: string, capBytes: number): Buffer | FileRefusal {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    return { kind: "unreadable", path, code: errnoOf(err) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: "not-regular", path, what: describeType(st) };
    if (st.size > capBytes) return { kind: "too-large", path, capBytes, sizeBytes: st.size };
    // st.size can be 0 (selinuxfs and other pseudo files) or stale (a file still being written):
    // read to the end, but never past the cap.
    const buf = Buffer.allocUnsafe(Math.min(capBytes + 1, Math.max(st.size + 1, 4096)));
    let filled = 0;
    let grown = buf;
    for (;;) {
      if (filled === grown.length) {
        if (grown.length > capBytes) return { kind: "too-large", path, capBytes };
        const bigger = Buffer.allocUnsafe(Math.min(capBytes + 1, grown.length * 2));
        grown.copy(bigger, 0, 0, filled);
        grown = bigger;
      }
      const n = readSync(fd, grown, filled, grown.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    if (filled > capBytes) return { kind: "too-large", path, capBytes };
    return grown.subarray(0, filled);
  } catch (err) {
    return { kind: "unreadable", path, code: errnoOf(err) };
  } finally {
    closeSync(fd);
  }
}

export function isRefusal(r: Buffer | FileRefusal): r is FileRefusal {
  return !Buffer.isBuffer(r);
}

/** One line for a log or an error message, naming the file. */
export function describeRefusal(r: FileRefusal): string {
  switch (r.kind) {
    case "unreadable":
      return `cannot read ${r.path} (${r.code})`;
    case "not-regular":
      return `${r.path} is ${r.what}, not a regular file; refusing to read it`;
    case "too-large":
      return `${r.path} is larger than ${formatBytes(r.capBytes)}${r.sizeBytes === undefined ? "" : ` (${r.sizeBytes} bytes)`}; refusing to read it`;
  }
}

/** Thrown where a reader's callers cannot take a value (account lookups deep in rule parsing);
 * caught by the check and the daemon, which report the refusal as a usage error. */
export class FileRefusedError extends Error {
  constructor(readonly refusal: FileRefusal) {
    super(describeRefusal(refusal));
    this.name = "FileRefusedError";
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function describeType(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a directory";
  return "not a regular file";
}

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") throw err;
  return code;
}
