// Pure: listen= — does a process hold a socket listening where the rule says, and, for detail
// lines, which sockets listen there at all. Unknown is not no: fd links that could not be read
// (another user's process, when not root) leave the process undecided, never "not listening" —
// unless nothing in its network namespace listens on the port at all: then no fd can hold it.
// Reasons are byte strings like every other reason; output escapes them.
import { Field, type ListeningSocket, type ProcessRecord, type Snapshot } from "../procfs/types.js";
import { toBytes } from "../rules/pattern.js";
import type { CountRule, ListenSpec } from "../rules/types.js";

export type ListenOutcome =
  | { readonly kind: "yes" }
  | { readonly kind: "near"; readonly reason: string }
  | { readonly kind: "unknown"; readonly why: string }
  | { readonly kind: "need"; readonly fields: number };

/** What the verdict of a listen= rule knows about its port beyond the matched processes. */
export interface ListenReport {
  /** The qualifier as written, e.g. "udp/53". */
  readonly text: string;
  readonly spec: ListenSpec;
  /** Sockets listening as the rule asks, in procwatch's network namespace, held by any process;
   * or why the socket tables could not be read. */
  readonly sockets: readonly ListeningSocket[] | { readonly error: string };
  /**
   * The processes holding those sockets, found from every process's fd links: filled in right
   * after the scan is judged, only for a rule that did not hold (measure/detail.ts), since it
   * reads every open file.
   */
  readonly holders?: readonly { readonly process: ProcessRecord; readonly socket: ListeningSocket }[];
  /** Processes whose fd links could not be read while looking for holders (not root). */
  readonly unreadableHolders?: number;
}

/** The socket listens where the spec says: same protocol and port, and the same address if one
 * is given (IPv4 and IPv4-mapped IPv6 compare equal; 0.0.0.0 and :: are addresses like others). */
export function listensAs(spec: ListenSpec, s: ListeningSocket): boolean {
  return s.proto === spec.proto && s.port === spec.port && (spec.address === undefined || spec.address.key === s.addressKey);
}

/** "tcp/25", "udp/127.0.0.1:53", "tcp/[::1]:25" */
export function describeListen(spec: ListenSpec): string {
  if (spec.address === undefined) return `${spec.proto}/${spec.port}`;
  const a = spec.address.family === 6 ? `[${toBytes(spec.address.text)}]` : toBytes(spec.address.text);
  return `${spec.proto}/${a}:${spec.port}`;
}

/** "tcp/0.0.0.0:25", "tcp/[::]:25" */
export function describeSocket(s: ListeningSocket): string {
  return `${s.proto}/${s.family === 6 ? `[${s.address}]` : s.address}:${s.port}`;
}

const SHOWN_ELSEWHERE = 3;

/** One process against listen=; needs Field.sockets, which the scan reads only when asked. */
export function matchListen(spec: ListenSpec, text: string, rec: ProcessRecord): ListenOutcome {
  if ((rec.readMask & Field.sockets) === 0) return { kind: "need", fields: Field.sockets };
  const prefix = `listen=${toBytes(text)}: `;
  if (rec.listening === undefined) {
    // Its fds are unknown, but a socket that is in no table of its namespace cannot be among them.
    if (rec.namespaceListening !== undefined && !rec.namespaceListening.some((s) => listensAs(spec, s))) {
      return { kind: "near", reason: `${prefix}holds no socket listening on ${describeListen(spec)}: nothing listens on it in its network namespace (${socketsUnknownWhy(rec)})` };
    }
    return { kind: "unknown", why: `${prefix}${socketsUnknownWhy(rec)}` };
  }
  if (rec.listening.some((s) => listensAs(spec, s))) return { kind: "yes" };
  const elsewhere = [...new Set(rec.listening.map(describeSocket))];
  const shown = elsewhere.slice(0, SHOWN_ELSEWHERE).join(", ") + (elsewhere.length > SHOWN_ELSEWHERE ? ` and ${elsewhere.length - SHOWN_ELSEWHERE} more` : "");
  const ns = rec.netNs === undefined ? "" : ` in network namespace ${rec.netNs}`;
  return { kind: "near", reason: `${prefix}holds no socket listening on ${describeListen(spec)}${ns}${elsewhere.length === 0 ? "" : ` (it listens on ${shown})`}` };
}

/** "fd links unreadable (EACCES)", "socket table net/tcp unreadable (EIO)" */
export function socketsUnknownWhy(rec: ProcessRecord): string {
  const why = rec.unknownWhy?.sockets ?? "unknown";
  return why.startsWith("net/") ? `socket table ${why}` : `fd links unreadable (${why})`;
}

/** The listen= qualifier of a rule, if it has one. */
export function listenOf(rule: CountRule): { readonly text: string; readonly listen: ListenSpec } | undefined {
  for (const q of rule.qualifiers) if (q.key === "listen") return q;
  return undefined;
}

/** The port side of a listen= rule's verdict, from the scan's own socket tables. */
export function listenReport(rule: CountRule, snapshot: Snapshot): ListenReport | undefined {
  const q = listenOf(rule);
  if (q === undefined || snapshot.listening === undefined) return undefined;
  const tables = snapshot.listening;
  const sockets = "error" in tables ? tables : tables.filter((s) => listensAs(q.listen, s));
  return { text: q.text, spec: q.listen, sockets };
}
