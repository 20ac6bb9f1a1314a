// Pure: a scan's Measurement (detail fields read) → the procwatch.verdicts/1 document that
// `check --from` reads. Structured data, never rendered text: the client validates every field
// and renders through the same formatters as `check`, so nothing a server writes is printed as is.
// Byte strings stay byte strings (JSON escapes them); Infinity travels as null; RegExps and
// exemption sets, which no formatter reads, do not travel. check/verdicts-read.ts is the inverse.
import type { ProbeVerdict } from "../evaluate/probe.js";
import type { RunawayReport } from "../evaluate/runaway.js";
import type { SecurityReport } from "../evaluate/security.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { Measurement } from "../measure/measure.js";
import type { ListeningSocket, ProcessRecord } from "../procfs/types.js";
import type { CountRange } from "../rules/types.js";
import type { NameLookup } from "./describe.js";
import type { OutputFormat } from "./format.js";

export const VERDICTS_SCHEMA = "procwatch.verdicts/1";

export interface VerdictsMeta {
  readonly scan: { readonly seq: number; readonly atMs: number; readonly durationMs: number; readonly intervalMs: number };
  /** The format whose detail policy chose which processes carry user and exe. */
  readonly format: OutputFormat;
  readonly detailLimit: number;
  readonly forCycles: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The document as JSON text (one line). User and group names of every id it mentions travel
 * along, so the client prints the daemon's names, not its own guess. */
export function encodeVerdicts(m: Measurement, meta: VerdictsMeta, names: NameLookup): string {
  const ids = { users: new Set<number>(), groups: new Set<number>() };
  const proc = (p: ProcessRecord): Json => encodeProcess(p, ids);
  const doc: { [key: string]: Json } = {
    schema: VERDICTS_SCHEMA,
    scan: { ...meta.scan },
    format: meta.format,
    detailLimit: meta.detailLimit,
    forCycles: meta.forCycles,
    snapshot: {
      atMs: m.snapshot.atMs,
      processes: m.snapshot.processes.length,
      unreadable: m.snapshot.unreadable,
      skipped: { ...m.snapshot.skipped },
      visibility: m.snapshot.visibility.kind === "full" ? { kind: "full" } : { kind: "hidden", reason: m.snapshot.visibility.reason },
    },
    cpuBasis: m.scale === undefined ? null : m.scale.basis.kind === "window" ? { kind: "window", windowMs: m.scale.basis.windowMs } : { kind: "lifetime" },
    rules: m.verdicts.map((v) => encodeVerdict(v, proc, ids)),
    probes: m.probes === undefined ? null : m.probes.map(encodeProbe),
    runaway: m.runaway === undefined ? null : encodeRunaway(m.runaway, proc),
    security: m.security === undefined ? null : encodeSecurity(m.security, proc),
  };
  doc.names = {
    users: [...ids.users].sort((a, b) => a - b).flatMap((id) => { const n = names.userName(id); return n === undefined ? [] : [[id, n]]; }),
    groups: [...ids.groups].sort((a, b) => a - b).flatMap((id) => { const n = names.groupName(id); return n === undefined ? [] : [[id, n]]; }),
  };
  return `${JSON.stringify(doc)}\n`;
}

const range = (r: CountRange | undefined): Json => (r === undefined ? null : { min: r.min ?? null, max: r.max ?? null });
const opt = <T>(v: T | undefined, f: (x: T) => Json = (x) => x as Json): Json => (v === undefined ? null : f(v));
const inf = (n: number): Json => (n === Infinity ? null : n);

function encodeVerdict(v: RuleVerdict, proc: (p: ProcessRecord) => Json, ids: { users: Set<number> }): Json {
  return {
    rule: {
      text: v.rule.text, label: v.rule.label, range: range(v.rule.range), warn: range(v.rule.warn), cpu: range(v.rule.cpu),
      limits: opt(v.rule.limits, (l) => ({
        rssBytes: range(l.rssBytes), fds: opt(l.fds, (f) => ({ min: f.min ?? null, max: f.max ?? null, unit: f.unit })), threads: range(l.threads), ageMs: range(l.ageMs),
      })),
    },
    state: v.state,
    countState: v.countState,
    warnState: opt(v.warnState),
    count: v.count,
    undecided: inf(v.undecided),
    matches: v.matches.map(proc),
    nearMisses: v.nearMisses.map((n) => ({ process: proc(n.process), reason: n.reason })),
    unknowns: v.unknowns.map((u) => ({ process: proc(u.process), why: u.why })),
    hiddenWhy: opt(v.hiddenWhy),
    cpu: opt(v.cpu, (c) => ({ percent: c.percent, unmeasured: c.unmeasured, state: c.state })),
    limits: opt(v.limits, (l) => ({
      state: l.state,
      violations: l.violations.map((x) => ({ process: proc(x.process), reason: x.reason })),
      unknowns: l.unknowns.map((x) => ({ process: proc(x.process), why: x.why })),
      agesMs: opt(l.agesMs, (a) => a.map((ms) => ms ?? null)),
    })),
    listen: opt(v.listen, (l) => ({
      text: l.text,
      spec: { proto: l.spec.proto, port: l.spec.port, address: opt(l.spec.address, (a) => ({ text: a.text, family: a.family, key: a.key })) },
      sockets: "error" in l.sockets ? { error: l.sockets.error } : l.sockets.map((s) => encodeSocket(s, ids)),
      holders: opt(l.holders, (hs) => hs.map((h) => ({ process: proc(h.process), socket: encodeSocket(h.socket, ids) }))),
      unreadableHolders: opt(l.unreadableHolders),
    })),
  };
}

function encodeSocket(s: ListeningSocket, ids: { users: Set<number> }): Json {
  ids.users.add(s.uid);
  return { proto: s.proto, family: s.family, address: s.address, addressKey: s.addressKey, port: s.port, inode: s.inode, uid: s.uid };
}

function encodeProcess(p: ProcessRecord, ids: { users: Set<number>; groups: Set<number> }): Json {
  if (p.uids !== undefined) ids.users.add(p.uids.real).add(p.uids.effective);
  if (p.gids !== undefined) ids.groups.add(p.gids.real).add(p.gids.effective);
  return {
    pid: p.pid,
    ppid: p.ppid,
    startTicks: p.startTicks,
    state: p.state,
    comm: p.comm,
    isKernelThread: p.isKernelThread,
    cpuTicks: p.cpuTicks,
    utimeTicks: p.utimeTicks,
    stimeTicks: p.stimeTicks,
    majorFaults: p.majorFaults,
    rssPages: p.rssPages,
    threads: p.threads,
    uids: opt(p.uids, (u) => ({ ...u })),
    gids: opt(p.gids, (g) => ({ ...g })),
    argv: opt(p.argv, (a) => [...a]),
    argvTruncated: opt(p.argvTruncated),
    exe: opt(p.exe, (e) => ({ path: e.path, deleted: e.deleted })),
    hasNoExe: opt(p.hasNoExe),
    labels: opt(p.labels, (ls) => ls.map((l) => ({ module: l.module, raw: l.raw, domain: l.domain ?? null }))),
    countedName: opt(p.countedName),
    rssKib: opt(p.rssKib),
    fds: opt(p.fds, (f) => ({ open: f.open, softLimit: f.softLimit ?? null })),
    readMask: p.readMask,
    unknownMask: p.unknownMask,
    unknownWhy: opt(p.unknownWhy, (w) => Object.fromEntries(Object.entries(w).filter(([, v]) => v !== undefined)) as Json),
  };
}

function encodeProbe(v: ProbeVerdict): Json {
  const r = v.rule;
  return {
    rule: {
      text: r.text, label: r.label, host: r.host, port: r.port, timeoutMs: r.timeoutMs, isRemote: r.isRemote,
      address: { text: r.address.text, family: r.address.family, key: r.address.key }, banner: opt(r.banner, (b) => b.text),
    },
    state: v.state,
    failure: opt(v.failure),
    result: { end: v.result.end, connectMs: opt(v.result.connectMs), bannerMs: opt(v.result.bannerMs), banner: opt(v.result.banner), code: opt(v.result.code) },
    timeoutMs: v.timeoutMs,
    cutBy: opt(v.cutBy),
  };
}

function encodeRunaway(r: RunawayReport, proc: (p: ProcessRecord) => Json): Json {
  return {
    maxPercent: r.settings.maxPercent,
    top: r.settings.top,
    basis: r.basis.kind === "window" ? { kind: "window", windowMs: r.basis.windowMs } : { kind: "lifetime" },
    offenders: r.offenders.map((o) => ({ process: proc(o.process), percent: o.percent, name: o.name, ageSec: opt(o.ageSec) })),
    exempted: r.exempted,
    measured: r.measured,
  };
}

function encodeSecurity(s: SecurityReport, proc: (p: ProcessRecord) => Json): Json {
  return {
    results: s.results.map((r) => ({
      check: r.check,
      state: r.state,
      offenders: r.offenders.map((o) => ({ process: proc(o.process), name: o.name })),
      exempted: r.exempted,
      undecided: inf(r.undecided),
      undecidedWhy: opt(r.undecidedWhy),
      undecidedProcesses: r.undecidedProcesses === undefined ? null : r.undecidedProcesses.map((u) => ({ process: proc(u.process), name: u.name, why: u.why })),
      note: opt(r.note),
    })),
  };
}
