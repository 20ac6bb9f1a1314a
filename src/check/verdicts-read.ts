// `check --from`: a procwatch.verdicts/1 document (output/verdicts-doc.ts) → what the formatters
// need, validating every field on the way: the states the formatters know and no others, whole
// non-negative counts, finite figures, bounded text. Whatever fails is an error naming the field;
// nothing of the server's is ever printed except through the formatters (which escape it).
import type { ProbeFailure, ProbeVerdict } from "../evaluate/probe.js";
import type { RunawayReport } from "../evaluate/runaway.js";
import type { SecurityReport, SecurityResult } from "../evaluate/security.js";
import type { RuleState, RuleVerdict } from "../evaluate/verdict.js";
import type { NameLookup } from "../output/describe.js";
import { escapeText } from "../output/escape.js";
import type { CheckOutcome, OutputFormat } from "../output/format.js";
import type { ScanFacts } from "../output/json.js";
import { VERDICTS_SCHEMA, type VerdictsMeta } from "../output/verdicts-doc.js";
import type { ProbeEnd, TcpProbeResult } from "../probe/tcp.js";
import type { IdSet, ListeningSocket, ProcessRecord, SecurityLabel } from "../procfs/types.js";
import { SECURITY_CHECKS } from "../rules/security-checks.js";
import type { CountRange, CountRule, CpuBasis, IpAddress, ProbeRule, ProcessLimits } from "../rules/types.js";

export interface VerdictsDocument extends VerdictsMeta {
  readonly snapshot: ScanFacts;
  readonly outcome: CheckOutcome;
  readonly names: NameLookup;
}

/** A field that is not what the schema says: its path, e.g. "rules[2].count". */
export class DocumentError extends Error {
  constructor(readonly path: string, what: string) {
    super(`${path}: ${what}`);
  }
}

/** Longest text field accepted (a command line is the longest real one; the kernel caps at 4 KiB per page read). */
const MAX_TEXT = 64 * 1024;
/** Largest count or id (pids, uids, inodes fit; 2^53 is where JSON numbers stop being exact). */
const MAX_INT = Number.MAX_SAFE_INTEGER;

/** The last millisecond a JavaScript Date can hold (ECMA-262 §21.4.1.1); json prints it as ISO text. */
const MAX_DATE_MS = 8.64e15;

type Obj = Record<string, unknown>;

const obj = (v: unknown, path: string): Obj => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new DocumentError(path, "expected an object");
  return v as Obj;
};
const arr = (v: unknown, path: string): unknown[] => {
  if (!Array.isArray(v)) throw new DocumentError(path, "expected an array");
  return v;
};
const str = (v: unknown, path: string): string => {
  if (typeof v !== "string") throw new DocumentError(path, "expected a string");
  if (v.length > MAX_TEXT) throw new DocumentError(path, `text longer than ${MAX_TEXT} characters`);
  return v;
};
/** Text some formatter prints as it is (a process state, an errno code, a socket address):
 * refused unless escaping would leave it unchanged, so it can never carry a control byte or '|'. */
const plain = (v: unknown, path: string): string => {
  const text = str(v, path);
  if (escapeText(text) !== text) throw new DocumentError(path, "expected plain printable text");
  return text;
};
const bool = (v: unknown, path: string): boolean => {
  if (typeof v !== "boolean") throw new DocumentError(path, "expected true or false");
  return v;
};
const int = (v: unknown, path: string, min = 0, max = MAX_INT): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new DocumentError(path, `expected a whole number from ${min} to ${max}`);
  return v;
};
const num = (v: unknown, path: string, min = 0, max = Number.MAX_VALUE): number => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new DocumentError(path, `expected a finite number from ${min} to ${max}`);
  return v;
};
const oneOf = <T extends string>(v: unknown, path: string, allowed: readonly T[]): T => {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new DocumentError(path, `expected one of ${allowed.join(", ")}`);
  return v as T;
};
/** null (or absent) → undefined; anything else through `f`. */
const opt = <T>(v: unknown, path: string, f: (x: unknown, p: string) => T): T | undefined => (v === null || v === undefined ? undefined : f(v, path));
/** null is Infinity (JSON has none). */
const intOrInf = (v: unknown, path: string): number => (v === null ? Infinity : int(v, path));
const list = <T>(v: unknown, path: string, f: (x: unknown, p: string) => T): T[] => arr(v, path).map((x, i) => f(x, `${path}[${i}]`));
/** Members that may be undefined become optional ones, absent when undefined (exactOptionalPropertyTypes). */
type Present<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };
const present = <T extends object>(o: T): Present<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Present<T>;

const RULE_STATES: readonly RuleState[] = ["ok", "fail", "unknown"];
const PROBE_ENDS: readonly ProbeEnd[] = ["connected", "banner", "closed", "timeout", "refused", "error"];
const PROBE_FAILURES: readonly ProbeFailure[] = ["refused", "timeout", "banner", "closed", "error"];
const FORMATS: readonly OutputFormat[] = ["mon", "nagios", "json"];

/** The parsed JSON of an answer → the document, or a DocumentError. */
export function readVerdictsDocument(data: unknown): VerdictsDocument {
  const d = obj(data, "answer");
  if (d.schema !== VERDICTS_SCHEMA) throw new DocumentError("schema", `expected "${VERDICTS_SCHEMA}"`);
  const s = obj(d.scan, "scan");
  const scan = {
    seq: int(s.seq, "scan.seq", 1),
    atMs: num(s.atMs, "scan.atMs", 0, MAX_DATE_MS),
    durationMs: num(s.durationMs, "scan.durationMs", 0, 86_400_000),
    intervalMs: int(s.intervalMs, "scan.intervalMs", 1, 86_400_000),
  };
  const names = readNames(obj(d.names, "names"));
  const cpuBasis = opt(d.cpuBasis, "cpuBasis", readBasis);
  const probes = opt(d.probes, "probes", (v, p) => list(v, p, readProbe));
  const runaway = opt(d.runaway, "runaway", readRunaway);
  const security = opt(d.security, "security", readSecurity);
  const outcome: CheckOutcome = present({
    verdicts: list(d.rules, "rules", readVerdict),
    runaway,
    cpuBasis,
    security,
    probes,
  });
  return {
    scan,
    format: oneOf(d.format, "format", FORMATS),
    detailLimit: int(d.detailLimit, "detailLimit", 0, 1000),
    forCycles: int(d.forCycles, "forCycles", 1, 1_000_000),
    snapshot: readSnapshot(obj(d.snapshot, "snapshot")),
    outcome,
    names,
  };
}

function readNames(n: Obj): NameLookup {
  const table = (v: unknown, path: string): Map<number, string> =>
    new Map(list(v, path, (pair, p) => {
      const a = arr(pair, p);
      if (a.length !== 2) throw new DocumentError(p, "expected [id, name]");
      return [int(a[0], `${p}[0]`, 0, 0xffffffff), str(a[1], `${p}[1]`)] as const;
    }));
  const users = table(n.users, "names.users");
  const groups = table(n.groups, "names.groups");
  return { userName: (id) => users.get(id), groupName: (id) => groups.get(id) };
}

function readSnapshot(s: Obj): ScanFacts {
  const skipped = obj(s.skipped, "snapshot.skipped");
  const vis = obj(s.visibility, "snapshot.visibility");
  const kind = oneOf(vis.kind, "snapshot.visibility.kind", ["full", "hidden"] as const);
  return {
    atMs: num(s.atMs, "snapshot.atMs", 0, MAX_DATE_MS),
    processes: { length: int(s.processes, "snapshot.processes", 0, 1 << 24) },
    unreadable: int(s.unreadable, "snapshot.unreadable"),
    skipped: {
      vanished: int(skipped.vanished, "snapshot.skipped.vanished"),
      denied: int(skipped.denied, "snapshot.skipped.denied"),
      parse: int(skipped.parse, "snapshot.skipped.parse"),
      other: int(skipped.other, "snapshot.skipped.other"),
    },
    visibility: kind === "full" ? { kind } : { kind, reason: plain(vis.reason, "snapshot.visibility.reason") },
  };
}

function readBasis(v: unknown, path: string): CpuBasis {
  const b = obj(v, path);
  const kind = oneOf(b.kind, `${path}.kind`, ["window", "lifetime"] as const);
  return kind === "lifetime" ? { kind } : { kind, windowMs: int(b.windowMs, `${path}.windowMs`, 1, 86_400_000) };
}

function readRange(v: unknown, path: string): CountRange {
  const r = obj(v, path);
  return present({ min: opt(r.min, `${path}.min`, (x, p) => num(x, p)), max: opt(r.max, `${path}.max`, (x, p) => num(x, p)) });
}

function readVerdict(v: unknown, path: string): RuleVerdict {
  const o = obj(v, path);
  const r = obj(o.rule, `${path}.rule`);
  const label = str(r.label, `${path}.rule.label`);
  const warn = opt(r.warn, `${path}.rule.warn`, readRange);
  const cpuRange = opt(r.cpu, `${path}.rule.cpu`, readRange);
  const limits = opt(r.limits, `${path}.rule.limits`, (x, p): ProcessLimits => {
    const l = obj(x, p);
    return present({
      rssBytes: opt(l.rssBytes, `${p}.rssBytes`, readRange),
      fds: opt(l.fds, `${p}.fds`, (y, q) => ({ ...readRange(y, q), unit: oneOf(obj(y, q).unit, `${q}.unit`, ["count", "percent"] as const) })),
      threads: opt(l.threads, `${p}.threads`, readRange),
      ageMs: opt(l.ageMs, `${p}.ageMs`, readRange),
    });
  });
  // Only what output shows of a rule travels; the client never matches processes with it.
  const rule: CountRule = present({
    kind: "count" as const,
    text: str(r.text, `${path}.rule.text`),
    label,
    selector: { kind: "name" as const, name: label },
    range: readRange(r.range, `${path}.rule.range`),
    warn,
    cpu: cpuRange,
    limits,
    qualifiers: [],
    source: { file: "daemon", line: 1, column: 1 },
  });
  const proc = (x: unknown, p: string): ProcessRecord => readProcess(x, p);
  const cpu = opt(o.cpu, `${path}.cpu`, (x, p) => {
    const c = obj(x, p);
    return { percent: num(c.percent, `${p}.percent`), unmeasured: int(c.unmeasured, `${p}.unmeasured`), state: oneOf(c.state, `${p}.state`, RULE_STATES) };
  });
  return present({
    rule,
    state: oneOf(o.state, `${path}.state`, RULE_STATES),
    countState: oneOf(o.countState, `${path}.countState`, RULE_STATES),
    warnState: opt(o.warnState, `${path}.warnState`, (x, p) => oneOf(x, p, RULE_STATES)),
    count: int(o.count, `${path}.count`),
    undecided: intOrInf(o.undecided, `${path}.undecided`),
    matches: list(o.matches, `${path}.matches`, proc),
    nearMisses: list(o.nearMisses, `${path}.nearMisses`, (x, p) => {
      const n = obj(x, p);
      return { process: proc(n.process, `${p}.process`), reason: str(n.reason, `${p}.reason`) };
    }),
    unknowns: list(o.unknowns, `${path}.unknowns`, (x, p) => {
      const u = obj(x, p);
      return { process: proc(u.process, `${p}.process`), why: str(u.why, `${p}.why`) };
    }),
    hiddenWhy: opt(o.hiddenWhy, `${path}.hiddenWhy`, str),
    cpu,
    listen: opt(o.listen, `${path}.listen`, readListen),
    limits: opt(o.limits, `${path}.limits`, (x, p) => {
      const l = obj(x, p);
      return present({
        state: oneOf(l.state, `${p}.state`, RULE_STATES),
        violations: list(l.violations, `${p}.violations`, (y, q) => {
          const f = obj(y, q);
          return { process: proc(f.process, `${q}.process`), reason: str(f.reason, `${q}.reason`) };
        }),
        unknowns: list(l.unknowns, `${p}.unknowns`, (y, q) => {
          const f = obj(y, q);
          return { process: proc(f.process, `${q}.process`), why: str(f.why, `${q}.why`) };
        }),
        agesMs: opt(l.agesMs, `${p}.agesMs`, (y, q) => list(y, q, (z, zp) => (z === null ? undefined : num(z, zp)))),
      });
    }),
    restarts: opt(o.restarts, `${path}.restarts`, readRestarts),
  });
}

/** The daemon's restarts= verdict; windows as rules/limits.ts allows them (at most a day). */
function readRestarts(v: unknown, path: string): NonNullable<RuleVerdict["restarts"]> {
  const r = obj(v, path);
  return {
    state: oneOf(r.state, `${path}.state`, ["ok", "fail"] as const),
    starts: int(r.starts, `${path}.starts`),
    limit: { max: int(r.max, `${path}.max`, 0, 999_999), windowMs: int(r.windowMs, `${path}.windowMs`, 1000, 86_400_000) },
  };
}

function readListen(v: unknown, path: string): NonNullable<RuleVerdict["listen"]> {
  const l = obj(v, path);
  const spec = obj(l.spec, `${path}.spec`);
  const sockets = Array.isArray(l.sockets)
    ? list(l.sockets, `${path}.sockets`, readSocket)
    : { error: str(obj(l.sockets, `${path}.sockets`).error, `${path}.sockets.error`) };
  return present({
    text: str(l.text, `${path}.text`),
    spec: present({
      proto: oneOf(spec.proto, `${path}.spec.proto`, ["tcp", "udp"] as const),
      port: int(spec.port, `${path}.spec.port`, 0, 65535),
      address: opt(spec.address, `${path}.spec.address`, readAddress),
    }),
    sockets,
    holders: opt(l.holders, `${path}.holders`, (x, p) => list(x, p, (h, q) => {
      const o = obj(h, q);
      return { process: readProcess(o.process, `${q}.process`), socket: readSocket(o.socket, `${q}.socket`) };
    })),
    unreadableHolders: opt(l.unreadableHolders, `${path}.unreadableHolders`, (x, p) => int(x, p)),
  });
}

function readAddress(v: unknown, path: string): IpAddress {
  const a = obj(v, path);
  const key = str(a.key, `${path}.key`);
  if (!/^[0-9a-f]{32}$/.test(key)) throw new DocumentError(`${path}.key`, "expected 32 lowercase hex digits");
  return { text: str(a.text, `${path}.text`), family: readFamily(a.family, `${path}.family`), key };
}

function readFamily(v: unknown, path: string): 4 | 6 {
  if (v !== 4 && v !== 6) throw new DocumentError(path, "expected 4 or 6");
  return v;
}

function readSocket(v: unknown, path: string): ListeningSocket {
  const s = obj(v, path);
  return {
    proto: oneOf(s.proto, `${path}.proto`, ["tcp", "udp"] as const),
    family: readFamily(s.family, `${path}.family`),
    address: plain(s.address, `${path}.address`),
    addressKey: plain(s.addressKey, `${path}.addressKey`),
    port: int(s.port, `${path}.port`, 0, 65535),
    inode: int(s.inode, `${path}.inode`),
    uid: int(s.uid, `${path}.uid`, 0, 0xffffffff),
  };
}

function readIds(v: unknown, path: string): IdSet {
  const o = obj(v, path);
  const id = (k: string): number => int(o[k], `${path}.${k}`, 0, 0xffffffff);
  return { real: id("real"), effective: id("effective"), saved: id("saved"), fs: id("fs") };
}

function readProcess(v: unknown, path: string): ProcessRecord {
  const p = obj(v, path);
  const state = str(p.state, `${path}.state`);
  if (!/^[A-Za-z]$/.test(state)) throw new DocumentError(`${path}.state`, "expected one letter");
  const unknownWhy = opt(p.unknownWhy, `${path}.unknownWhy`, (x, q) => {
    const w = obj(x, q);
    const out: Record<string, string> = {};
    for (const k of ["status", "cmdline", "exe", "label", "exeFile", "sockets", "scriptFile", "fds", "io", "cgroup"] as const) {
      if (w[k] !== undefined) out[k] = plain(w[k], `${q}.${k}`);
    }
    return out;
  });
  return present({
    pid: int(p.pid, `${path}.pid`, 0, 1 << 30),
    ppid: int(p.ppid, `${path}.ppid`, 0, 1 << 30),
    startTicks: int(p.startTicks, `${path}.startTicks`),
    state,
    comm: str(p.comm, `${path}.comm`),
    isKernelThread: bool(p.isKernelThread, `${path}.isKernelThread`),
    cpuTicks: int(p.cpuTicks, `${path}.cpuTicks`),
    utimeTicks: int(p.utimeTicks, `${path}.utimeTicks`),
    stimeTicks: int(p.stimeTicks, `${path}.stimeTicks`),
    majorFaults: int(p.majorFaults, `${path}.majorFaults`),
    rssPages: int(p.rssPages, `${path}.rssPages`),
    threads: int(p.threads, `${path}.threads`),
    uids: opt(p.uids, `${path}.uids`, readIds),
    gids: opt(p.gids, `${path}.gids`, readIds),
    argv: opt(p.argv, `${path}.argv`, (x, q) => list(x, q, str)),
    argvTruncated: opt(p.argvTruncated, `${path}.argvTruncated`, bool),
    exe: opt(p.exe, `${path}.exe`, (x, q) => {
      const e = obj(x, q);
      return { path: str(e.path, `${q}.path`), deleted: bool(e.deleted, `${q}.deleted`) };
    }),
    hasNoExe: opt(p.hasNoExe, `${path}.hasNoExe`, bool),
    labels: opt(p.labels, `${path}.labels`, (x, q) => list(x, q, (l, r): SecurityLabel => {
      const o = obj(l, r);
      return present({ module: str(o.module, `${r}.module`), raw: str(o.raw, `${r}.raw`), domain: opt(o.domain, `${r}.domain`, str) });
    })),
    countedName: opt(p.countedName, `${path}.countedName`, str),
    rssKib: opt(p.rssKib, `${path}.rssKib`, (x, q) => int(x, q)),
    fds: opt(p.fds, `${path}.fds`, (x, q) => {
      const f = obj(x, q);
      return present({ open: int(f.open, `${q}.open`), softLimit: opt(f.softLimit, `${q}.softLimit`, (y, r) => int(y, r)) });
    }),
    readMask: int(p.readMask, `${path}.readMask`, 0, 0xffff),
    unknownMask: int(p.unknownMask, `${path}.unknownMask`, 0, 0xffff),
    unknownWhy,
  });
}

function readProbe(v: unknown, path: string): ProbeVerdict {
  const o = obj(v, path);
  const r = obj(o.rule, `${path}.rule`);
  const res = obj(o.result, `${path}.result`);
  const bannerText = opt(r.banner, `${path}.rule.banner`, str);
  const rule: ProbeRule = present({
    kind: "probe" as const,
    text: str(r.text, `${path}.rule.text`),
    label: str(r.label, `${path}.rule.label`),
    host: str(r.host, `${path}.rule.host`),
    address: readAddress(r.address, `${path}.rule.address`),
    port: int(r.port, `${path}.rule.port`, 0, 65535),
    // The pattern stays with the daemon, which judged the banner; output shows only its text.
    banner: bannerText === undefined ? undefined : { text: bannerText, pattern: /(?!)/ },
    timeoutMs: int(r.timeoutMs, `${path}.rule.timeoutMs`, 0, 86_400_000),
    isRemote: bool(r.isRemote, `${path}.rule.isRemote`),
    source: { file: "daemon", line: 1, column: 1 },
  });
  const result: TcpProbeResult = present({
    end: oneOf(res.end, `${path}.result.end`, PROBE_ENDS),
    connectMs: opt(res.connectMs, `${path}.result.connectMs`, (x, p) => num(x, p, 0, 86_400_000)),
    bannerMs: opt(res.bannerMs, `${path}.result.bannerMs`, (x, p) => num(x, p, 0, 86_400_000)),
    banner: opt(res.banner, `${path}.result.banner`, str),
    code: opt(res.code, `${path}.result.code`, str),
  });
  return present({
    rule,
    state: oneOf(o.state, `${path}.state`, ["ok", "fail"] as const),
    failure: opt(o.failure, `${path}.failure`, (x, p) => oneOf(x, p, PROBE_FAILURES)),
    result,
    timeoutMs: int(o.timeoutMs, `${path}.timeoutMs`, 0, 86_400_000),
    cutBy: opt(o.cutBy, `${path}.cutBy`, plain),
  });
}

function readRunaway(v: unknown, path: string): RunawayReport {
  const o = obj(v, path);
  return {
    // Exemptions were applied by the daemon; output shows only the limit and how many to list.
    settings: { maxPercent: num(o.maxPercent, `${path}.maxPercent`), top: int(o.top, `${path}.top`, 0, 100_000), exemptNames: new Set(), exemptUids: new Set() },
    basis: readBasis(o.basis, `${path}.basis`),
    offenders: list(o.offenders, `${path}.offenders`, (x, p) => {
      const f = obj(x, p);
      return present({
        process: readProcess(f.process, `${p}.process`),
        percent: num(f.percent, `${p}.percent`),
        name: str(f.name, `${p}.name`),
        ageSec: opt(f.ageSec, `${p}.ageSec`, (y, q) => num(y, q)),
      });
    }),
    exempted: int(o.exempted, `${path}.exempted`),
    measured: int(o.measured, `${path}.measured`),
  };
}

function readSecurity(v: unknown, path: string): SecurityReport {
  const o = obj(v, path);
  const results = list(o.results, `${path}.results`, (x, p): SecurityResult => {
    const r = obj(x, p);
    return present({
      check: oneOf(r.check, `${p}.check`, SECURITY_CHECKS),
      state: oneOf(r.state, `${p}.state`, ["ok", "fail", "unknown", "not-applicable"] as const),
      offenders: list(r.offenders, `${p}.offenders`, (y, q) => {
        const f = obj(y, q);
        return { process: readProcess(f.process, `${q}.process`), name: str(f.name, `${q}.name`) };
      }),
      exempted: int(r.exempted, `${p}.exempted`),
      undecided: intOrInf(r.undecided, `${p}.undecided`),
      undecidedWhy: opt(r.undecidedWhy, `${p}.undecidedWhy`, str),
      undecidedProcesses: opt(r.undecidedProcesses, `${p}.undecidedProcesses`, (w, wp) => list(w, wp, (y, q) => {
        const f = obj(y, q);
        return { process: readProcess(f.process, `${q}.process`), name: str(f.name, `${q}.name`), why: str(f.why, `${q}.why`) };
      })),
      note: opt(r.note, `${p}.note`, str),
    });
  });
  return { settings: { checks: results.map((r) => r.check), exemptNames: new Set(), exemptUids: new Set(), deletedExeIgnore: [] }, results };
}
