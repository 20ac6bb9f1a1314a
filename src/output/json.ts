// Pure: verdicts → JSON for scripts. Same verdicts and exit code as mon mode; every string that
// came from a process is escaped the same way, so the JSON is valid UTF-8 whatever the bytes.
import type { ProcessRecord, Snapshot } from "../procfs/types.js";
import { type NameLookup, formatExe, formatUser } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";
import { basisText } from "./cpu.js";
import { limitsJson } from "./limits.js";
import type { CheckOutcome, Formatted } from "./format.js";
import { listenJson } from "./ports.js";
import { probesJson } from "./probe.js";
import { securityJson, securityStatus } from "./security.js";

export function formatJson(outcome: CheckOutcome, snapshot: Snapshot | undefined, names: NameLookup, extra: Record<string, unknown> = {}): Formatted {
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
      matches: v.matches.map((p) => processJson(p, names)),
      nearMisses: v.nearMisses.map((n) => ({ ...processJson(n.process, names), reason: escapeBytes(n.reason) })),
      undecidedProcesses: v.unknowns.map((u) => ({ ...processJson(u.process, names), why: escapeBytes(u.why) })),
      ...(v.cpu === undefined ? {} : { cpu: { percent: v.cpu.percent, unmeasured: v.cpu.unmeasured, state: v.cpu.state, min: v.rule.cpu?.min ?? null, max: v.rule.cpu?.max ?? null } }),
      ...(v.listen === undefined ? {} : { listen: listenJson(v.listen, names) }),
      ...(v.limits === undefined ? {} : { limits: limitsJson(v, (p) => processJson(p, names)) }),
    })),
    ...(probes === undefined ? {} : { probes: probesJson(probes) }),
    ...(outcome.cpuBasis === undefined ? {} : { cpuScale: basisText(outcome.cpuBasis).replace(/^% /, "percent ") }),
    ...(runaway === undefined ? {} : {
      runaway: {
        maxPercent: runaway.settings.maxPercent,
        exempted: runaway.exempted,
        measured: runaway.measured,
        offenders: runaway.offenders.map((o) => ({ ...processJson(o.process, names), name: escapeBytes(o.name), percent: o.percent, ageSeconds: o.ageSec ?? null })),
      },
    }),
    ...(security === undefined ? {} : { security: securityJson(security, (p) => processJson(p, names)) }),
  };
  return { text: `${JSON.stringify(doc)}\n`, exitCode: ok ? 0 : 1 };
}

function processJson(p: ProcessRecord, names: NameLookup): Record<string, unknown> {
  return {
    pid: p.pid,
    ppid: p.ppid,
    comm: escapeBytes(p.comm),
    state: p.state,
    user: formatUser(p, names),
    uids: p.uids ?? null,
    gids: p.gids ?? null,
    exe: formatExe(p),
  };
}
