// Pure: verdicts → mon monitor output. All ok: exit 0 and no output. Otherwise exit 1, line 1 the
// summary (failing rules in argument order, no PIDs or figures, so mon's alertevery works), then
// detail lines. Output stays far below mon's 128 KiB MON_LAST_OUTPUT limit.
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { NameLookup } from "./describe.js";
import { type Formatted, detailLines, summaryToken, verdictLine } from "./format.js";

export interface MonOptions {
  readonly names: NameLookup;
  /** Process lines shown per rule before "... and N more". */
  readonly detailLimit: number;
  /** Extra detail lines at the end (e.g. "confirmed by a recheck after 2s"). */
  readonly notes?: readonly string[];
}

/** Hard cap on the whole output; mon exports it as one environment string (limit 128 KiB). */
export const MON_OUTPUT_CAP = 32 * 1024;

export function formatMon(verdicts: readonly RuleVerdict[], options: MonOptions): Formatted {
  const failing = verdicts.filter((v) => v.state !== "ok");
  if (failing.length === 0) return { text: "", exitCode: 0 };
  const lines = [failing.map(summaryToken).join(" ")];
  for (const v of failing) {
    lines.push(verdictLine(v));
    lines.push(...detailLines(v, options.names, options.detailLimit));
  }
  lines.push(...(options.notes ?? []));
  return { text: capOutput(lines, MON_OUTPUT_CAP), exitCode: 1 };
}

/** Keeps whole lines up to the cap and says how many were dropped. Lines hold no raw newlines. */
export function capOutput(lines: readonly string[], capBytes: number): string {
  let size = 0;
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const bytes = Buffer.byteLength(line) + 1;
    if (size + bytes > capBytes - 64 && i > 0) {
      kept.push(`... and ${lines.length - i} more lines`);
      break;
    }
    kept.push(line);
    size += bytes;
  }
  return `${kept.join("\n")}\n`;
}
