// /proc/net/{tcp,tcp6,udp,udp6} → the listening sockets of one network namespace. Reads and
// parses; which process holds a socket is fd.ts's business, what a rule wants is evaluate's.
//
// Row format (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock, udp.c):
//   "  sl: LOCAL REMOTE st tx:rx tr:when retrnsmt uid timeout inode ..." with LOCAL = ADDR:PORT in
//   hex. The port is printed in host order (ntohs done); the address is the raw __be32 words
//   printed with %08X, i.e. in the CPU's byte order: 127.0.0.1 reads 0100007F on x86 (little
//   endian) and 7F000001 on s390x. tcp6 prints four such words. The byte order is a parameter
//   so fixtures captured on x86 parse the same on any machine.
// Listening: TCP state 0A (TCP_LISTEN). UDP has no listen state: a server's socket is bound and
// unconnected, state 07 (TCP_CLOSE) with remote port 0; a connect()ed UDP socket is 01.
import { endianness } from "node:os";
import { ProcParseError } from "./errors.js";
import { isFailure, type ReadFailure, readWholeBytes } from "./read.js";
import type { ListeningSocket } from "./types.js";

export const NET_TABLES = [
  { file: "tcp", proto: "tcp", family: 4 },
  { file: "tcp6", proto: "tcp", family: 6 },
  { file: "udp", proto: "udp", family: 4 },
  { file: "udp6", proto: "udp", family: 6 },
] as const;

const HOST_IS_LITTLE_ENDIAN = endianness() === "LE";
const TCP_LISTEN = "0A";
const UDP_UNCONNECTED = "07";

/** A table that could not be read: which file, and the errno. */
export interface NetTableFailure extends ReadFailure {
  readonly file: string;
}

/**
 * Every listening socket in the four tables under `netDir` (`<root>/net` or `<root>/PID/net`).
 * A missing tcp6/udp6 is IPv6 switched off (ipv6.disable=1): no IPv6 sockets, not an error.
 * Any other failure, a parse error included, is returned: a table read in part could hide the
 * very socket a rule asks about.
 */
export function readNetTables(netDir: string, littleEndian = HOST_IS_LITTLE_ENDIAN): ListeningSocket[] | NetTableFailure {
  const out: ListeningSocket[] = [];
  for (const t of NET_TABLES) {
    const path = `${netDir}/${t.file}`;
    const text = readWholeBytes(path);
    if (isFailure(text)) {
      if (text.code === "ENOENT" && t.family === 6) continue;
      return { ...text, file: t.file };
    }
    try {
      out.push(...parseNetTable(text, t.proto, t.family, path, littleEndian));
    } catch (err) {
      if (!(err instanceof ProcParseError)) throw err;
      return { failure: "other", code: "EPARSE", file: t.file };
    }
  }
  return out;
}

export function isNetTableFailure(v: ListeningSocket[] | NetTableFailure): v is NetTableFailure {
  return isFailure(v);
}

/** The listening rows of one table's text (header line first, as the kernel writes it). */
export function parseNetTable(text: string, proto: "tcp" | "udp", family: 4 | 6, path: string, littleEndian = HOST_IS_LITTLE_ENDIAN): ListeningSocket[] {
  const lines = text.split("\n");
  if (!/^\s*sl\s+local_address/.test(lines[0] ?? "")) throw new ProcParseError(path, lines[0] ?? "", "no header line");
  const out: ListeningSocket[] = [];
  const hexDigits = family === 4 ? 8 : 32;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    // sl is right-aligned in 4 columns and grows past them (udp's bucket numbers): split on runs.
    const f = line.trim().split(/\s+/);
    const [sl, local, remote, state, , , , uid, , inode] = f;
    if (f.length < 10 || !/^\d+:$/.test(sl ?? "") || !/^[0-9A-F]{2}$/.test(state ?? "") || !/^\d+$/.test(uid ?? "") || !/^\d+$/.test(inode ?? "")) {
      throw new ProcParseError(path, line, "unexpected row");
    }
    const localAt = splitAddress(local as string, hexDigits);
    const remoteAt = splitAddress(remote as string, hexDigits);
    if (localAt === undefined || remoteAt === undefined) throw new ProcParseError(path, line, "unexpected address");
    const listens = proto === "tcp" ? state === TCP_LISTEN : state === UDP_UNCONNECTED && remoteAt.port === 0;
    // An unbound UDP socket (port 0) serves nothing.
    if (!listens || localAt.port === 0) continue;
    const bytes = addressBytes(localAt.hex, littleEndian);
    out.push({
      proto,
      family,
      address: formatAddress(bytes),
      addressKey: keyOf(bytes),
      port: localAt.port,
      inode: Number(inode),
      uid: Number(uid),
    });
  }
  return out;
}

function splitAddress(text: string, hexDigits: number): { hex: string; port: number } | undefined {
  const colon = text.indexOf(":");
  const hex = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (colon !== hexDigits || !/^[0-9A-Fa-f]+$/.test(hex) || !/^[0-9A-Fa-f]{4}$/.test(port)) return undefined;
  return { hex, port: parseInt(port, 16) };
}

/** The address bytes in network order from the kernel's %08X words. */
function addressBytes(hex: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((k) => parseInt(hex.slice(w + k, w + k + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  return bytes;
}

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function keyOf(bytes: readonly number[]): string {
  const all = bytes.length === 4 ? [...MAPPED, ...bytes] : bytes;
  return all.map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Dotted quad; IPv6 as RFC 5952 (lowercase, the longest run of two or more zero groups as
 * "::", the first on a tie) and IPv4-mapped as ::ffff:a.b.c.d. */
export function formatAddress(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join(".");
  if (MAPPED.every((b, i) => bytes[i] === b)) return `::ffff:${bytes.slice(12).join(".")}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: readonly number[]): string => gs.map((g) => g.toString(16)).join(":");
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}
