// Pure: how procwatch sees one process, or every match and near miss of some rules. The
// successor of `ps.monitor -x PID`, with every field escaped.
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { IdSet, ProcessRecord } from "../procfs/types.js";
import { type NameLookup, formatExe, formatIdName, formatProcessLine } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";
import { type Formatted, formatRange } from "./format.js";

const SECTION_LIMIT = 200;

export function formatExplainProcess(rec: ProcessRecord, countedName: string, names: NameLookup): Formatted {
  const ids = (set: IdSet | undefined, name: (id: number) => string | undefined): string =>
    set === undefined
      ? `? (${rec.unknownWhy?.status ?? "unread"})`
      : (["real", "effective", "saved", "fs"] as const).map((k) => `${k} ${set[k]} (${formatIdName(set[k], name(set[k]))})`).join(" ");
  const label = rec.label !== undefined
    ? escapeBytes(rec.label)
    : rec.unknownWhy?.label === "EINVAL" || rec.unknownWhy?.label === "ENOENT" ? "none (no security module active)" : `? (${rec.unknownWhy?.label ?? "unread"})`;
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
  ];
  return { text: `${lines.join("\n")}\n`, exitCode: 0 };
}

export function formatExplainRules(verdicts: readonly RuleVerdict[], names: NameLookup): Formatted {
  const lines: string[] = [];
  for (const v of verdicts) {
    const undecided = v.undecided === 0 ? "" : `, ${v.undecided === Infinity ? "unknown number" : v.undecided} undecided`;
    lines.push(`rule ${escapeText(v.rule.text)}: ${v.state}, ${v.count} matching${undecided} (range ${formatRange(v.rule.range)})`);
    const section = (prefix: string, items: readonly string[]): void => {
      for (const item of items.slice(0, SECTION_LIMIT)) lines.push(`  ${prefix}${item}`);
      if (items.length > SECTION_LIMIT) lines.push(`  ... and ${items.length - SECTION_LIMIT} more`);
    };
    section("match: ", v.matches.map((p) => formatProcessLine(p, names)));
    section("near miss: ", v.nearMisses.map((n) => `${formatProcessLine(n.process, names)}: ${escapeBytes(n.reason)}`));
    section("undecided: ", v.unknowns.map((u) => `${formatProcessLine(u.process, names)}: ${escapeBytes(u.why)}`));
    if (v.hiddenWhy !== undefined) lines.push(`  undecided: ${escapeBytes(v.hiddenWhy)}`);
  }
  return { text: `${lines.join("\n")}\n`, exitCode: 0 };
}
