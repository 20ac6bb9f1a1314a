// Reads every process under a proc root into plain records, reading per process only the files
// the caller's plan asks for. Classifies read failures here so nothing above sees an errno.
// One odd process never sinks a scan; a process that leaves mid-scan is skipped silently.
import { readdirSync, statSync } from "node:fs";
import { parseCmdline } from "./cmdline.js";
import { ProcParseError } from "./errors.js";
import { parseExeLink } from "./exe.js";
import { type ExeFileCache, newExeFileCache, readExeFile } from "./exe-file.js";
import { parseCgroup } from "./cgroup.js";
import { readFdUsage, readSocketInodes } from "./fd.js";
import { parseIo } from "./io.js";
import { readScriptFile } from "./script-file.js";
import { isNetTableFailure, type NetTableFailure, readNetTables } from "./net.js";
import { createLabelReader, type LabelReader, securityfsFor } from "./lsm/read.js";
import { isFailure, readBytes, readLinkBytes, readRaw, type ReadFailure } from "./read.js";
import { PF_KTHREAD, parseStatBytes } from "./stat.js";
import { parseStatus } from "./status.js";
import { Field, type FieldMask, type FieldName, type ListeningSocket, type ProcessRecord, type SkipCounts, type Snapshot } from "./types.js";
import type { ValueReuse } from "./reuse.js";
import { readVisibility } from "./visibility.js";
import { readUptime } from "./clock.js";
import { isPidName } from "./root.js";

/** Given what is known of a process so far, which optional fields are still wanted. Called again
 * after each round of reads (a name found in cmdline may make a user check necessary). */
export type ScanPlan = (known: ProcessRecord) => FieldMask;

export interface SnapshotOptions {
  readonly plan?: ScanPlan;
  /** Bytes of cmdline kept at most; longer ones are marked truncated. */
  readonly cmdlineCapBytes?: number;
  /** Read <root>/uptime too (lifetime CPU figures and process ages need it). */
  readonly readUptime?: boolean;
  /** Skip the hidepid check (fixture roots are not mounts). Defaults to checking. */
  readonly checkVisibility?: boolean;
  /** Where securityfs is (its lsm file lists the active security modules); default: the one
   * beside the proc root (lsm/read.ts securityfsFor), /sys/kernel/security for /proc. */
  readonly securityfs?: string;
  /** Read the listening sockets of procwatch's network namespace into Snapshot.listening (for
   * listen= rules' details). Only then, or when the plan asks some process for Field.sockets,
   * are the /proc/net tables read at all. */
  readonly readListening?: boolean;
  /** The monotonic clock that stamps Snapshot.atNs (default process.hrtime.bigint); CPU windows
   * are measured between two stamps, so a fake clock makes them exact in tests. */
  readonly clock?: () => bigint;
  /** Values kept from earlier scans, to share with this one's records (the daemon's; reuse.ts). */
  readonly reuse?: ValueReuse;
  /** The root's entries when the caller listed it already (root.ts listProcRoot). */
  readonly names?: readonly string[];
}

/** What one scan shares across processes: the active security modules, stat'ed exe paths, and
 * the socket tables of each network namespace met (read on first need, once per scan). */
interface ScanShared {
  readonly readLabels: LabelReader;
  readonly exeFiles: ExeFileCache;
  readonly net: NetCache;
  readonly reuse: ValueReuse | undefined;
}

interface NetCache {
  readonly procRoot: string;
  /** procwatch's own namespace (<root>/self/ns/net); null when unreadable (a fixture tree). */
  ownNs?: string | null;
  own?: ListeningSocket[] | NetTableFailure;
  readonly others: Map<string, ListeningSocket[] | NetTableFailure>;
  /** Tables read through <pid>/net for processes whose ns/net link is unreadable, by the
   * (dev, inode) of their tcp file. */
  readonly byTableFile: Map<string, ListeningSocket[] | NetTableFailure>;
}

function scanShared(procRoot: string, options: SnapshotOptions): ScanShared {
  return {
    readLabels: createLabelReader(options.securityfs ?? securityfsFor(procRoot), procRoot),
    exeFiles: newExeFileCache(procRoot),
    net: { procRoot, others: new Map(), byTableFile: new Map() },
    reuse: options.reuse,
  };
}

function ownTables(net: NetCache): ListeningSocket[] | NetTableFailure {
  net.own ??= readNetTables(`${net.procRoot}/net`);
  return net.own;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Enough for the longest chain: cmdline (interpreter name) → exe (long name) → scriptFile (after
// a path rule matched a script) → qualifier fields → exeFile (after exe= matched) → sockets
// (after the rest of a listen= rule matched); one more for safety. A plan still asking after
// that is a bug.
const PLAN_ROUNDS = 7;
const NO_EXE: ReadFailure = { failure: "vanished", code: "ENOENT" };
/** stat is a few hundred bytes; comm is at most 64 bytes even for kernel threads. */
const STAT_CAP = 4096;

export function takeSnapshot(procRoot: string, options: SnapshotOptions = {}): Snapshot {
  const scan = beginScan(procRoot, options);
  for (const name of scan.names) scan.visit(name);
  return scan.finish();
}

/**
 * The same scan, giving the event loop a turn every `yieldEvery` PID directories, so a daemon
 * answers a Prometheus scrape or a signal while it scans thousands of processes. The reads stay
 * synchronous: /proc reads are kernel CPU work, and the threadpool would cost more than it saves.
 */
export async function takeSnapshotYielding(procRoot: string, options: SnapshotOptions = {}, yieldEvery = 256): Promise<Snapshot> {
  const scan = beginScan(procRoot, options);
  let n = 0;
  for (const name of scan.names) {
    scan.visit(name);
    if (++n % yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return scan.finish();
}

function beginScan(procRoot: string, options: SnapshotOptions) {
  const atNs = (options.clock ?? process.hrtime.bigint)();
  const atMs = Date.now();
  const uptimeSec = options.readUptime === true ? readUptime(procRoot) : undefined;
  const skipped: SkipCounts = { vanished: 0, denied: 0, parse: 0, other: 0 };
  const processes: ProcessRecord[] = [];
  const shared = scanShared(procRoot, options);
  let unreadable = 0;
  return {
    names: options.names ?? readdirSync(procRoot),
    visit(name: string): void {
      if (!isPidName(name)) return; // only PID directories; never probe numeric ranges
      const rec = readProcess(`${procRoot}/${name}`, options, skipped, shared);
      if (rec === "unreadable") unreadable++;
      else if (rec !== undefined) processes.push(rec);
    },
    finish(): Snapshot {
      // readdir's order is alphabetical (libuv sorts): "10" before "9". Detail lines and their
      // "... and N more" cut read best, and stay stable, in PID order.
      processes.sort((a, b) => a.pid - b.pid);
      const visibility = options.checkVisibility === false ? { kind: "full" as const } : readVisibility(procRoot);
      const listening = options.readListening === true ? ownTables(shared.net) : undefined;
      return {
        atNs, atMs, processes, skipped, visibility, unreadable,
        ...(uptimeSec === undefined ? {} : { uptimeSec }),
        ...(listening === undefined ? {} : { listening: isNetTableFailure(listening) ? { error: `net/${listening.file}: ${listening.code}` } : listening }),
      };
    },
  };
}

function readProcess(dir: string, options: SnapshotOptions, skipped: SkipCounts, shared: ScanShared): ProcessRecord | "unreadable" | undefined {
  const raw = readRaw(`${dir}/stat`, STAT_CAP);
  if (isFailure(raw)) {
    count(skipped, raw);
    return raw.failure === "denied" ? "unreadable" : undefined;
  }
  let rec: Mutable<ProcessRecord>;
  try {
    const st = parseStatBytes(raw.buf, raw.length, `${dir}/stat`);
    rec = {
      pid: st.pid,
      ppid: st.ppid,
      startTicks: st.startTicks,
      state: st.state,
      comm: options.reuse === undefined ? st.comm : options.reuse.text(st.comm),
      isKernelThread: (st.flags & PF_KTHREAD) !== 0,
      cpuTicks: st.utimeTicks + st.stimeTicks,
      utimeTicks: st.utimeTicks,
      stimeTicks: st.stimeTicks,
      majorFaults: st.majorFaults,
      rssPages: st.rssPages,
      threads: st.threads,
      readMask: 0,
      unknownMask: 0,
    };
  } catch (err) {
    if (!(err instanceof ProcParseError)) throw err;
    skipped.parse++;
    return undefined;
  }
  const plan = options.plan;
  if (plan === undefined) return rec;
  for (let round = 0; round < PLAN_ROUNDS; round++) {
    const want = plan(rec) & ~rec.readMask;
    if (want === 0) break;
    if (!readFields(dir, rec, want, options, skipped, shared)) return undefined;
  }
  return rec;
}

/** Reads the wanted fields into rec. Returns false when the process turned out to be gone. */
function readFields(dir: string, rec: Mutable<ProcessRecord>, want: FieldMask, options: SnapshotOptions, skipped: SkipCounts, shared: ScanShared): boolean {
  rec.readMask |= want;
  if (want & Field.status) {
    const r = readBytes(`${dir}/status`);
    if (isFailure(r)) {
      if (!noteUnknown(rec, "status", r, skipped, shared.reuse)) return false;
    } else {
      try {
        const st = parseStatus(r.text, `${dir}/status`);
        const reuse = shared.reuse;
        rec.uids = reuse === undefined ? st.uids : reuse.ids(st.uids);
        rec.gids = reuse === undefined ? st.gids : reuse.ids(st.gids);
        if (st.rssKib !== undefined) rec.rssKib = st.rssKib;
        if (st.contextSwitches !== undefined) rec.contextSwitches = st.contextSwitches;
      } catch (err) {
        if (!(err instanceof ProcParseError)) throw err;
        skipped.parse++;
        return false;
      }
    }
  }
  if (want & Field.cmdline) {
    const r = readBytes(`${dir}/cmdline`, options.cmdlineCapBytes ?? 32 * 1024);
    if (isFailure(r)) {
      if (!noteUnknown(rec, "cmdline", r, skipped, shared.reuse)) return false;
    } else {
      rec.argv = parseCmdline(r.text);
      if (r.truncated) rec.argvTruncated = true;
    }
  }
  if (want & Field.exe) {
    // A kernel thread has no executable. Asking anyway gives ENOENT as root but EACCES to other
    // users (the ptrace check comes first), which would make it look undecided.
    const r = rec.isKernelThread ? NO_EXE : readLinkBytes(`${dir}/exe`);
    if (isFailure(r)) {
      // A live process without exe is a value, not an error: kernel threads, zombies, and
      // processes whose leader thread exited (proc(5)). ENOENT here is that case.
      if (r.failure === "vanished") rec.hasNoExe = true;
      else noteUnknown(rec, "exe", r, skipped, shared.reuse);
    } else {
      const exe = parseExeLink(r);
      rec.exe = shared.reuse === undefined ? exe : shared.reuse.exe(exe);
    }
  }
  if (want & Field.label) {
    const r = shared.readLabels(dir);
    if (isFailure(r)) {
      if (!noteUnknown(rec, "label", r, skipped, shared.reuse)) return false;
    } else {
      rec.labels = r;
    }
  }
  // After exe (read above when asked in the same round): only a process whose exe path a rule
  // matched is asked for this, so a scan stats few files.
  if ((want & Field.exeFile) !== 0 && rec.exe !== undefined) {
    const r = readExeFile(dir, rec.exe, shared.exeFiles);
    if (isFailure(r)) {
      if (!noteUnknown(rec, "exeFile", r, skipped, shared.reuse)) return false;
    } else {
      rec.exeFile = r;
    }
  }
  // After cmdline: only a process whose script path (an argv word) a rule matched is asked.
  if ((want & Field.scriptFile) !== 0 && rec.argv !== undefined) {
    const r = readScriptFile(dir, rec.argv, shared.exeFiles);
    if (isFailure(r)) {
      if (!noteUnknown(rec, "scriptFile", r, skipped, shared.reuse)) return false;
    } else {
      rec.scriptFile = r;
    }
  }
  if (want & Field.fds) {
    const r = readFdUsage(dir);
    if (isFailure(r)) {
      if (!noteUnknown(rec, "fds", r, skipped, shared.reuse)) return false;
    } else {
      rec.fds = r;
    }
  }
  if (want & Field.io) {
    const r = readParsed(dir, "io", parseIo, skipped);
    if (r === "gone") return false;
    if (isFailure(r)) noteUnknown(rec, "io", r, skipped, shared.reuse);
    else if (r !== undefined) rec.io = r;
  }
  if (want & Field.cgroup) {
    const r = readParsed(dir, "cgroup", parseCgroup, skipped);
    if (r === "gone") return false;
    if (isFailure(r)) noteUnknown(rec, "cgroup", r, skipped, shared.reuse);
    else if (r !== undefined) rec.cgroup = r;
  }
  if (want & Field.sockets) {
    const inodes = readSocketInodes(dir);
    if (isFailure(inodes)) {
      if (!noteUnknown(rec, "sockets", inodes, skipped, shared.reuse)) return false;
      const around = namespaceTables(dir, shared.net);
      if (around !== undefined) rec.namespaceListening = around;
    } else {
      const tables = tablesOf(dir, rec, shared.net);
      if (isNetTableFailure(tables)) {
        noteUnknown(rec, "sockets", { failure: tables.failure === "vanished" ? "other" : tables.failure, code: `net/${tables.file}: ${tables.code}` }, skipped, shared.reuse);
      } else {
        const held = new Set(inodes);
        rec.listening = tables.filter((s) => held.has(s.inode));
      }
    }
  }
  return true;
}

/**
 * The socket tables of the process's network namespace: procwatch's own (<root>/net), or, for a
 * process in another one (a container), that namespace's as the process sees it (<pid>/net),
 * read once per namespace. A namespace link that cannot be read counts as procwatch's own: the
 * fd links just read need the same access, so that happens only in fixture trees.
 */
function tablesOf(dir: string, rec: Mutable<ProcessRecord>, net: NetCache): ListeningSocket[] | NetTableFailure {
  if (net.ownNs === undefined) {
    const own = readLinkBytes(`${net.procRoot}/self/ns/net`);
    net.ownNs = isFailure(own) ? null : own;
  }
  const ns = readLinkBytes(`${dir}/ns/net`);
  if (isFailure(ns) || net.ownNs === null || ns === net.ownNs) return ownTables(net);
  rec.netNs = ns;
  let tables = net.others.get(ns);
  if (tables === undefined) {
    tables = readNetTables(`${dir}/net`);
    net.others.set(ns, tables);
  }
  return tables;
}

/** Network namespaces whose tables one scan reads for processes with unreadable fd links. */
const MAX_NAMESPACE_TABLES = 64;

/**
 * The listening sockets of the process's network namespace when its fd links are unreadable:
 * <pid>/net needs no ptrace access (only fd/ and ns/ do), so even another user's process shows
 * what listens where it lives. Read once per namespace: the tables' files are per namespace in
 * procfs, so the (dev, inode) of <pid>/net/tcp names it without the unreadable ns/net link.
 * Undefined when the tables cannot be read (then nothing is known).
 */
function namespaceTables(dir: string, net: NetCache): ListeningSocket[] | undefined {
  let key: string;
  try {
    const st = statSync(`${dir}/net/tcp`);
    key = `${st.dev}:${st.ino}`;
  } catch (err) {
    // Gone, or no per-process tables (a fixture tree without them): nothing to decide with, and
    // the fd links' failure is already counted; anything but an errno is a bug.
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    return undefined;
  }
  let tables = net.byTableFile.get(key);
  if (tables === undefined) {
    // Any user can make network namespaces: past this many in one scan, stay unknown.
    if (net.byTableFile.size >= MAX_NAMESPACE_TABLES) return undefined;
    tables = readNetTables(`${dir}/net`);
    net.byTableFile.set(key, tables);
  }
  return isNetTableFailure(tables) ? undefined : tables;
}

/**
 * A small file parsed into a value: the value; a failure to report as unknown; "gone" when the
 * process left; undefined when the text did not parse (counted; the field stays unset).
 */
function readParsed<T>(dir: string, file: string, parse: (text: string, path: string) => T, skipped: SkipCounts): T | ReadFailure | "gone" | undefined {
  const r = readBytes(`${dir}/${file}`, 16 * 1024);
  if (isFailure(r)) {
    if (r.failure !== "vanished") return r;
    skipped.vanished++;
    return "gone";
  }
  try {
    return parse(r.text, `${dir}/${file}`);
  } catch (err) {
    if (!(err instanceof ProcParseError)) throw err;
    skipped.parse++;
    return undefined;
  }
}

/** Records an unreadable field. Returns false when the failure means the process is gone. */
function noteUnknown(rec: Mutable<ProcessRecord>, field: FieldName, r: ReadFailure, skipped: SkipCounts, reuse: ValueReuse | undefined): boolean {
  if (r.failure === "vanished") {
    skipped.vanished++;
    return false;
  }
  if (r.failure === "denied") skipped.denied++;
  else if (r.failure === "other") skipped.other++;
  rec.unknownMask |= Field[field];
  rec.unknownWhy = rec.unknownWhy === undefined && reuse !== undefined ? reuse.unknownWhy(field, r.code) : { ...rec.unknownWhy, [field]: r.code };
  return true;
}

function count(skipped: SkipCounts, r: ReadFailure): void {
  if (r.failure === "vanished") skipped.vanished++;
  else if (r.failure === "denied") skipped.denied++;
  else skipped.other++;
}

/** Reads one process with the given fields (explain --pid); undefined when it does not exist. */
export function readOneProcess(procRoot: string, pid: number, fields: FieldMask): ProcessRecord | undefined {
  const skipped: SkipCounts = { vanished: 0, denied: 0, parse: 0, other: 0 };
  const rec = readProcess(`${procRoot}/${pid}`, { plan: () => fields }, skipped, scanShared(procRoot, {}));
  return typeof rec === "object" ? rec : undefined;
}

/** Adds fields to an already read record, for detail lines; returns it unchanged if it left. */
export function readMoreFields(procRoot: string, rec: ProcessRecord, fields: FieldMask): ProcessRecord {
  const want = fields & ~rec.readMask;
  if (want === 0) return rec;
  const copy: Mutable<ProcessRecord> = { ...rec };
  const skipped: SkipCounts = { vanished: 0, denied: 0, parse: 0, other: 0 };
  return readFields(`${procRoot}/${rec.pid}`, copy, want, {}, skipped, scanShared(procRoot, {})) ? copy : rec;
}
