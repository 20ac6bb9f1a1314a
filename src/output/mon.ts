// Pure: verdicts → mon monitor output. All ok: exit 0 and no output. Otherwise exit 1, line 1 the
// summary (failing rules in argument order, then probes that are down, no PIDs or figures, so
// mon's alertevery works), then detail lines. Output stays far below mon's 128 KiB MON_LAST_OUTPUT limit.
import { runawayHeadline, runawayLines, runawayTokens } from "./cpu.js";
import type { NameLookup } from "./describe.js";
import { type CheckOutcome, type Formatted, detailLines, ruleLines, summaryToken } from "./format.js";
import { probeLine, probeTokens } from "./probe.js";
import { securityLines, securityStatus, securityTokens } from "./security.js";

export interface MonOptions {
  readonly names: NameLookup;
  /** Process lines shown per rule before "... and N more". */
  readonly detailLimit: number;
  /** Extra detail lines at the end (e.g. "confirmed by a recheck after 2s"). */
  readonly notes?: readonly string[];
}

/** Hard cap on the whole output; mon exports it as one environment string (limit 128 KiB). */
export const MON_OUTPUT_CAP = 32 * 1024;

export function formatMon(outcome: CheckOutcome, options: MonOptions): Formatted {
  const failing = outcome.verdicts.filter((v) => v.state !== "ok");
  const runaway = outcome.runaway !== undefined && outcome.runaway.offenders.length > 0 ? outcome.runaway : undefined;
  // A security check that is not applicable (no LSM) never fails the run; it is named in the
  // detail when the run fails for another reason.
  const security = outcome.security !== undefined && securityStatus(outcome.security) !== "ok" ? outcome.security : undefined;
  const down = (outcome.probes ?? []).filter((v) => v.state !== "ok");
  if (failing.length === 0 && down.length === 0 && runaway === undefined && security === undefined) return { text: "", exitCode: 0 };
  const tokens = failing.map(summaryToken);
  tokens.push(...probeTokens(down));
  if (runaway !== undefined) tokens.push(...runawayTokens(runaway, options.names));
  if (security !== undefined) tokens.push(...securityTokens(security, options.names));
  const lines = [tokens.join(" ")];
  for (const v of failing) {
    lines.push(...ruleLines(v, outcome.cpuBasis));
    lines.push(...detailLines(v, options.names, options.detailLimit));
  }
  lines.push(...down.map(probeLine));
  if (runaway !== undefined) lines.push(runawayHeadline(runaway), ...runawayLines(runaway, options.names));
  if (outcome.security !== undefined) lines.push(...securityLines(outcome.security, options.names, options.detailLimit, true));
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
