// Pure: verdicts → JSON for scripts. Same verdicts and exit code as mon mode; every string that
// came from a process is escaped the same way, so the JSON is valid UTF-8 whatever the bytes.
// Every list of processes is cut at the detail limit, with the count of the rest beside it
// ("moreMatches": 4990): a rule matching 5,000 processes would otherwise be a megabyte.
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import { type NameLookup, formatExe, formatUser } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";
import { basisText } from "./cpu.js";
import { limitsJson } from "./limits.js";
import type { CheckOutcome, Formatted } from "./format.js";
import { listenJson } from "./ports.js";
import { probesJson } from "./probe.js";
import { securityJson, securityStatus } from "./security.js";

export interface JsonOptions {
  /** Processes listed per list (matches, near misses, undecided, holders, offenders) at most. */
  readonly detailLimit?: number;
}

/** What the json "scan" member tells of a snapshot (a Snapshot is one; so is what check --from reads). */
export type ScanFacts = Pick<Snapshot, "atMs" | "unreadable" | "skipped" | "visibility"> & { readonly processes: { readonly length: number } };

export function formatJson(outcome: CheckOutcome, snapshot: ScanFacts | undefined, names: NameLookup, options: JsonOptions = {}, extra: Record<string, unknown> = {}): Formatted {
  const limit = options.detailLimit ?? Infinity;
  const describe = (p: ProcessRecord): Record<string, unknown> => processJson(p, names);
  const { verdicts, runaway } = outcome;
  const { security, probes } = outcome;
  const ok = verdicts.every((v) => v.state === "ok") && (runaway === undefined || runaway.offenders.length === 0)
    && (security === undefined || securityStatus(security) === "ok") && (probes ?? []).every((v) => v.state === "ok");
  const doc = {
    ok,
    ...extra,
    scan: snapshot === undefined ? null : {
      at: new Date(snapshot.atMs).toISOString(),
      processes: snapshot.processes.length,
      unreadable: snapshot.unreadable,
      skipped: snapshot.skipped,
      visibility: snapshot.visibility,
    },
    rules: verdicts.map((v) => ({
      rule: escapeText(v.rule.text),
      label: escapeText(v.rule.label),
      min: v.rule.range.min ?? null,
      max: v.rule.range.max ?? null,
      state: v.state,
      count: v.count,
      undecided: v.undecided === Infinity ? null : v.undecided,
      ...(v.hiddenWhy === undefined ? {} : { hiddenWhy: escapeBytes(v.hiddenWhy) }),
      matches: v.matches.slice(0, limit).map(describe),
      moreMatches: more(v.matches, limit),
      nearMisses: v.nearMisses.slice(0, limit).map((n) => ({ ...describe(n.process), reason: escapeBytes(n.reason) })),
      moreNearMisses: more(v.nearMisses, limit),
      undecidedProcesses: v.unknowns.slice(0, limit).map((u) => ({ ...describe(u.process), why: escapeBytes(u.why) })),
      moreUndecided: more(v.unknowns, limit),
      ...(v.cpu === undefined ? {} : { cpu: { percent: v.cpu.percent, unmeasured: v.cpu.unmeasured, state: v.cpu.state, min: v.rule.cpu?.min ?? null, max: v.rule.cpu?.max ?? null } }),
      ...(v.listen === undefined ? {} : { listen: listenJson(v.listen, describe, limit) }),
      ...(v.limits === undefined ? {} : { limits: limitsJson(v, describe, limit) }),
    })),
    ...(probes === undefined ? {} : { probes: probesJson(probes) }),
    ...(outcome.cpuBasis === undefined ? {} : { cpuScale: basisText(outcome.cpuBasis).replace(/^% /, "percent ") }),
    ...(runaway === undefined ? {} : {
      runaway: {
        maxPercent: runaway.settings.maxPercent,
        exempted: runaway.exempted,
        measured: runaway.measured,
        offenders: runaway.offenders.slice(0, runaway.settings.top).map((o) => ({ ...describe(o.process), name: escapeBytes(o.name), percent: o.percent, ageSeconds: o.ageSec ?? null })),
        moreOffenders: more(runaway.offenders, runaway.settings.top),
      },
    }),
    ...(security === undefined ? {} : { security: securityJson(security, describe, limit) }),
  };
  return { text: `${JSON.stringify(doc)}\n`, exitCode: ok ? 0 : 1 };
}

/** How many items of a list the answer leaves out. */
export function more(items: readonly unknown[], limit: number): number {
  return Math.max(0, items.length - limit);
}

function processJson(p: ProcessRecord, names: NameLookup): Record<string, unknown> {
  return {
    pid: p.pid,
    ppid: p.ppid,
    comm: escapeBytes(p.comm),
    // The name procwatch counts it by: comm, or an interpreter's script.
    name: escapeBytes(p.countedName ?? p.comm),
    state: p.state,
    user: formatUser(p, names),
    uids: p.uids ?? null,
    gids: p.gids ?? null,
    exe: formatExe(p),
  };
}
