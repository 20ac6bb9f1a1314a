// Pure: the port part of a listen= rule's detail — who else holds the port, or that nothing
// listens on it — and its json. Process-derived text goes through describe.ts / escape.ts.
import { describeListen, describeSocket, type ListenReport } from "../evaluate/ports.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { ProcessRecord } from "../procfs/types.js";
import { formatProcessLine, type NameLookup } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";

/**
 * "port tcp/25: held by pid 4242 name smtp.py user nobody exe /usr/bin/python3 (tcp/0.0.0.0:25)", one per
 * holder the rule did not count; "port tcp/25: nothing listens on it"; or why the holder is not
 * known. Nothing when every holder is among the matches (or holders were not looked up).
 */
export function portLines(v: RuleVerdict, names: NameLookup, limit: number): string[] {
  const report = v.listen;
  if (report === undefined) return [];
  const port = `port ${escapeBytes(describeListen(report.spec))}`;
  const sockets = report.sockets;
  if ("error" in sockets) return [`  ${port}: socket tables unreadable (${escapeBytes(sockets.error)})`];
  if (sockets.length === 0) return [`  ${port}: nothing listens on it`];
  if (report.holders === undefined) return [];
  const counted = new Set(v.matches.map((p) => p.pid));
  const others = report.holders.filter((h) => !counted.has(h.process.pid));
  const lines = others.slice(0, limit).map((h) => `  ${port}: held by ${formatProcessLine(h.process, names)} (${escapeBytes(describeSocket(h.socket))})`);
  if (others.length > limit) lines.push(`  ${port}: ... and ${others.length - limit} more holders`);
  const heldInodes = new Set(report.holders.map((h) => h.socket.inode));
  const unheld = sockets.filter((s) => !heldInodes.has(s.inode));
  if (unheld.length > 0) {
    const owners = [...new Set(unheld.map((s) => s.uid))].map((uid) => escapeText(names.userName(uid) ?? String(uid))).join(", ");
    const unreadable = report.unreadableHolders ?? 0;
    lines.push(unreadable > 0
      ? `  ${port}: listening (socket owner ${owners}), held by a process whose fd links procwatch cannot read (${unreadable} processes unreadable; run as root)`
      : `  ${port}: listening (socket owner ${owners}), but no process under the proc root holds it (another PID namespace?)`);
  }
  return lines;
}

/** The json "listen" member of a rule; `describe` gives a process's common json fields, and at
 * most `limit` holders are listed ("moreHolders" counts the rest). */
export function listenJson(report: ListenReport, describe: (p: ProcessRecord) => Record<string, unknown>, limit: number): Record<string, unknown> {
  const sockets = report.sockets;
  return {
    listen: escapeText(report.text),
    sockets: "error" in sockets ? null : sockets.map((s) => ({ proto: s.proto, address: s.address, port: s.port, inode: s.inode, uid: s.uid })),
    ...("error" in sockets ? { socketsError: escapeBytes(sockets.error) } : {}),
    ...(report.holders === undefined ? {} : {
      holders: report.holders.slice(0, limit).map((h) => ({ ...describe(h.process), socket: escapeBytes(describeSocket(h.socket)) })),
      moreHolders: Math.max(0, report.holders.length - limit),
      unreadableHolders: report.unreadableHolders ?? 0,
    }),
  };
}
