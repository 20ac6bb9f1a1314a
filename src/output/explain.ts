// Pure: how procwatch sees one process, or every match and near miss of some rules. The
// successor of `ps.monitor -x PID`, with every field escaped.
import { evaluateExeFile } from "../evaluate/exe-file.js";
import { scriptOf, type InterpreterSet } from "../evaluate/names.js";
import { evaluateScriptFile } from "../evaluate/script-file.js";
import { hasNoSecurityModule, NO_SECURITY_MODULE } from "../evaluate/labels.js";
import { describeSocket, socketsUnknownWhy } from "../evaluate/ports.js";
import type { ProbeVerdict } from "../evaluate/probe.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import { Field, type IdSet, type ProcessRecord, type SecurityLabel } from "../procfs/types.js";
import { type NameLookup, formatExe, formatIdName, formatProcessLine } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";
import { type Formatted, formatRange } from "./format.js";
import { portLines } from "./ports.js";
import { probeLine } from "./probe.js";

/** Processes listed per section (matches, near misses, undecided) of a rule. */
export const EXPLAIN_LIMIT = 200;

export function formatExplainProcess(rec: ProcessRecord, countedName: string, names: NameLookup, interpreters?: InterpreterSet): Formatted {
  const ids = (set: IdSet | undefined, name: (id: number) => string | undefined): string =>
    set === undefined
      ? `? (${rec.unknownWhy?.status ?? "unread"})`
      : (["real", "effective", "saved", "fs"] as const).map((k) => `${k} ${set[k]} (${formatIdName(set[k], name(set[k]))})`).join(" ");
  const label = rec.labels !== undefined
    ? formatLabels(rec.labels)
    : hasNoSecurityModule(rec) ? `none (${NO_SECURITY_MODULE})` : `? (${rec.unknownWhy?.label ?? "unread"})`;
  const argv = rec.argv === undefined
    ? `? (${rec.unknownWhy?.cmdline ?? "unread"})`
    : rec.argv.length === 0 ? "(empty)" : rec.argv.map((a) => escapeBytes(a, { space: true })).join(" ") + (rec.argvTruncated === true ? " ...(truncated)" : "");
  const lines = [
    `pid ${rec.pid} ppid ${rec.ppid} state ${escapeBytes(rec.state)} threads ${rec.threads}${rec.isKernelThread ? " kernel-thread" : ""}`,
    `comm ${escapeBytes(rec.comm)}`,
    `counted as ${escapeBytes(countedName)}`,
    `exe ${formatExe(rec)}`,
    `uid ${ids(rec.uids, (id) => names.userName(id))}`,
    `gid ${ids(rec.gids, (id) => names.groupName(id))}`,
    `label ${label}`,
    `argv ${argv}`,
    `start ${rec.startTicks} ticks after boot, cpu ${rec.cpuTicks} ticks, rss ${rec.rssPages} pages`,
    ...exeFileLine(rec),
    ...scriptFileLine(rec, interpreters),
    ...listeningLine(rec),
  ];
  return { text: `${lines.join("\n")}\n`, exitCode: 0 };
}

/** "system_u:system_r:sshd_t:s0 (selinux, domain sshd_t)", one per module, escaped. */
function formatLabels(labels: readonly SecurityLabel[]): string {
  if (labels.length === 0) return "none (empty)";
  return labels.map((l) => `${escapeBytes(l.raw, { space: true })} (${escapeText(l.module)}${l.domain === undefined ? "" : `, domain ${escapeBytes(l.domain, { space: true })}`})`).join(", ");
}

/** "exe file dev:inode 65024:2148274, the file at /usr/bin/sleep here (same dev:inode)", or
 * what differs: whether a path rule would count the process (exe-file.ts), saying only what was
 * compared. Only when the exe was read. */
function exeFileLine(rec: ProcessRecord): string[] {
  if (rec.exe === undefined || (rec.readMask & Field.exeFile) === 0) return [];
  const f = rec.exeFile;
  const v = evaluateExeFile(rec);
  const id = f === undefined ? "" : ` dev:inode ${f.running.dev}:${f.running.ino},`;
  return [`exe file${id} ${escapeBytes(v.kind === "same" ? v.how : v.kind === "other" ? v.reason : v.why)}`];
}

/** "script file /usr/local/sbin/x.pl: held open as fd 3, ...": whether a path rule would count an
 * interpreter for its script (script-file.ts). Only for an interpreter whose script was checked. */
function scriptFileLine(rec: ProcessRecord, interpreters: InterpreterSet | undefined): string[] {
  if ((rec.readMask & Field.scriptFile) === 0 || rec.argv === undefined || interpreters === undefined || !interpreters.has(rec.comm)) return [];
  const script = scriptOf(rec.comm, rec.argv);
  if (script === undefined || !script.startsWith("/")) return [];
  const v = evaluateScriptFile(rec, script);
  return [`script file ${escapeBytes(script)}: ${escapeBytes(v.kind === "same" ? v.how : v.kind === "other" ? v.reason : v.why)}`];
}

/** "listening tcp/0.0.0.0:25, udp/[::1]:53", "listening none", or why unknown; only when read. */
function listeningLine(rec: ProcessRecord): string[] {
  if ((rec.readMask & Field.sockets) === 0) return [];
  if (rec.listening === undefined) return [`listening ? (${escapeBytes(socketsUnknownWhy(rec))})`];
  const ns = rec.netNs === undefined ? "" : ` (network namespace ${escapeBytes(rec.netNs)})`;
  return [`listening ${rec.listening.length === 0 ? "none" : [...new Set(rec.listening.map(describeSocket))].join(", ")}${ns}`];
}

export function formatExplainRules(verdicts: readonly RuleVerdict[], names: NameLookup, probes: readonly ProbeVerdict[] = []): Formatted {
  const lines: string[] = [];
  for (const v of verdicts) {
    const undecided = v.undecided === 0 ? "" : `, ${v.undecided === Infinity ? "unknown number" : v.undecided} undecided`;
    lines.push(`rule ${escapeText(v.rule.text)}: ${v.state}, ${v.count} matching${undecided} (range ${formatRange(v.rule.range)})`);
    const section = (prefix: string, items: readonly string[]): void => {
      for (const item of items.slice(0, EXPLAIN_LIMIT)) lines.push(`  ${prefix}${item}`);
      if (items.length > EXPLAIN_LIMIT) lines.push(`  ... and ${items.length - EXPLAIN_LIMIT} more`);
    };
    section("match: ", v.matches.map((p) => formatProcessLine(p, names)));
    section("near miss: ", v.nearMisses.map((n) => `${formatProcessLine(n.process, names)}: ${escapeBytes(n.reason)}`));
    section("undecided: ", v.unknowns.map((u) => `${formatProcessLine(u.process, names)}: ${escapeBytes(u.why)}`));
    if (v.hiddenWhy !== undefined) lines.push(`  undecided: ${escapeBytes(v.hiddenWhy)}`);
    lines.push(...portLines(v, names, EXPLAIN_LIMIT));
  }
  for (const p of probes) lines.push(`probe ${probeLine(p)}`);
  return { text: `${lines.join("\n")}\n`, exitCode: 0 };
}
