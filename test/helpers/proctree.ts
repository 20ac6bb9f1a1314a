// Test-only: writes real /proc-shaped directory trees for the procfs reader, and runs the reader
// in a child process (as another uid, or under a deadline). Never mocks fs: the reader opens these
// files exactly as it opens /proc. Not for src/: nothing here may be imported by the product.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { publicCopy } from "./public-copy.js";
import type { FieldMask, ProcessRecord, SkipCounts, Visibility } from "../../src/procfs/types.js";

/** File content: a string is written as UTF-8 (what a hand-typed name means), a Buffer byte for byte
 * (invalid UTF-8, NULs). An array is a cmdline: each element then NUL, so `["a","b"]` → `a\0b\0`. */
export type Bytes = string | Buffer;

/** A symlink (exe). The target may end in " (deleted)" like the kernel's. */
export class Link {
  constructor(readonly target: Bytes) {}
}
/** A named pipe: opening it O_RDONLY without O_NONBLOCK blocks until a writer comes. */
export class Fifo {}
/** A regular file with mode 000: root still reads it, any other uid gets EACCES. */
export class Denied {
  constructor(readonly content: Bytes) {}
}

export const link = (target: Bytes): Link => new Link(target);
export const fifo = (): Fifo => new Fifo();
export const denied = (content: Bytes = ""): Denied => new Denied(content);

export type FileEntry = Bytes | readonly Bytes[] | Link | Fifo | Denied;
/** A directory: names map to files or subdirectories; "attr/current" creates attr/ on the way.
 * `{}` is an empty directory, which for a PID is "vanished between readdir and open". `null` writes
 * nothing, so a builder's default file can be left out (`exe: null` for a kernel thread). */
export interface DirSpec {
  readonly [name: string]: FileEntry | DirSpec | null;
}
/** Top level of a tree: PIDs (or any other name, e.g. "self", "sys", "1x") to entries. */
export type ProcTreeSpec = Readonly<Record<number | string, FileEntry | DirSpec | null>>;

/** A fresh empty directory under the OS temp dir, mode 755 (mkdtemp gives 700, and readers may
 * run as nobody). Remove it with {@link removeProcTree}. */
export function tempProcRoot(prefix = "procwatch-proc-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** The top-level `stat` (system statistics, proc(5)) every tree gets unless its spec names one:
 * procwatch takes a root without it for a wrong --proc-root (procfs/root.ts). Its values are
 * never read. */
export const SYSTEM_STAT = "cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 100 0 50 1000 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime 1700000000\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n";

/** Writes `spec` under `dir` (created if missing) and returns `dir`. Directories get 755, files
 * 444 like /proc's, Denied files 000. A top-level `stat` is added unless the spec has one
 * (`stat: null` leaves it out: a tree that does not look like procfs). */
export function makeProcTree(dir: string, spec: ProcTreeSpec): string {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeDir(dir, "stat" in spec ? (spec as DirSpec) : { stat: SYSTEM_STAT, ...(spec as DirSpec) });
  return dir;
}

export function removeProcTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function isFileEntry(e: FileEntry | DirSpec): e is FileEntry {
  return typeof e === "string" || Buffer.isBuffer(e) || Array.isArray(e) || e instanceof Link || e instanceof Fifo || e instanceof Denied;
}

function toBuffer(b: Bytes): Buffer {
  return typeof b === "string" ? Buffer.from(b, "utf8") : b;
}

function writeDir(dir: string, spec: DirSpec): void {
  for (const [name, entry] of Object.entries(spec)) {
    if (entry === null) continue;
    const path = join(dir, name);
    ensureDir(dirname(path), dir);
    if (!isFileEntry(entry)) {
      mkdirSync(path, { recursive: true });
      chmodSync(path, 0o755);
      writeDir(path, entry);
    } else if (entry instanceof Link) {
      symlinkSync(toBuffer(entry.target), path);
    } else if (entry instanceof Fifo) {
      // Node has no mkfifo(3); coreutils does.
      execFileSync("mkfifo", ["-m", "444", path]);
    } else if (entry instanceof Denied) {
      writeFileSync(path, toBuffer(entry.content));
      chmodSync(path, 0o000);
    } else {
      writeFileSync(path, Array.isArray(entry) ? cmdlineBytes(entry) : toBuffer(entry as Bytes));
      chmodSync(path, 0o444);
    }
  }
}

/** mkdir -p for the parents of "attr/current"-style names, each 755. */
function ensureDir(path: string, top: string): void {
  if (path === top) return;
  ensureDir(dirname(path), top);
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o755);
}

/** cmdline bytes as the kernel shows them: every argument followed by one NUL. */
export function cmdlineBytes(argv: readonly Bytes[]): Buffer {
  return Buffer.concat(argv.flatMap((a) => [toBuffer(a), Buffer.from([0])]));
}

/** The fields of /proc/PID/stat that procwatch reads; the rest get ordinary values. */
export interface StatFields {
  readonly pid: number;
  /** Raw name between the parentheses; the kernel does not escape it (spaces, ')', '\n' stay). */
  readonly comm: Bytes;
  readonly state?: string;
  readonly ppid?: number;
  /** PF_* flags (field 9); 0x00200000 is PF_KTHREAD. Default 0x400100, a typical user process. */
  readonly flags?: number;
  readonly utime?: number;
  readonly stime?: number;
  readonly threads?: number;
  readonly starttime?: number;
  /** Pages. */
  readonly rss?: number;
}

/** One complete 52-field stat line with trailing newline (proc(5), kernel 6.x layout). */
export function statLine(f: StatFields): Buffer {
  const rss = f.rss ?? 100;
  const after = [
    f.state ?? "S", f.ppid ?? 1, f.pid, f.pid, 0, -1, f.flags ?? 0x400100, // 3-9: state ppid pgrp session tty_nr tpgid flags
    120, 0, 0, 0, f.utime ?? 0, f.stime ?? 0, 0, 0, 20, 0, // 10-19: faults, utime, stime, cutime, cstime, priority, nice
    f.threads ?? 1, 0, f.starttime ?? 1000, rss * 4096 * 4, rss, "18446744073709551615", // 20-25
    1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 26-52
  ];
  return Buffer.concat([Buffer.from(`${f.pid} (`), toBuffer(f.comm), Buffer.from(`) ${after.join(" ")}\n`)]);
}

type IdsSpec = number | readonly [number, number, number, number];

export interface StatusFields {
  readonly pid: number;
  /** Raw name; written escaped like the kernel does for status (only '\n' and '\\'). */
  readonly name: Bytes;
  readonly ppid?: number;
  readonly state?: string;
  /** One id for all four, or [real, effective, saved, fs]. */
  readonly uid?: IdsSpec;
  readonly gid?: IdsSpec;
  readonly threads?: number;
  readonly kthread?: boolean;
  /** VmRSS in kB (default 4096); null leaves the line out, as for kernel threads and zombies. */
  readonly rssKib?: number | null;
}

/** A status file with the lines a real one has around Uid:/Gid: (kernel 6.x). */
export function statusText(f: StatusFields): Buffer {
  const ids = (s: IdsSpec | undefined): string => (typeof s === "object" ? s : [s ?? 0, s ?? 0, s ?? 0, s ?? 0]).join("\t");
  const states: Record<string, string> = { R: "R (running)", S: "S (sleeping)", D: "D (disk sleep)", Z: "Z (zombie)", T: "T (stopped)", I: "I (idle)" };
  const state = f.state ?? "S";
  const name = Buffer.from(toBuffer(f.name).toString("latin1").replace(/\\/g, "\\\\").replace(/\n/g, "\\n"), "latin1");
  const body = [
    `Umask:\t0022`,
    `State:\t${states[state] ?? state}`,
    `Tgid:\t${f.pid}`,
    `Ngid:\t0`,
    `Pid:\t${f.pid}`,
    `PPid:\t${f.ppid ?? 1}`,
    `TracerPid:\t0`,
    `Uid:\t${ids(f.uid)}`,
    `Gid:\t${ids(f.gid)}`,
    `FDSize:\t64`,
    `Groups:\t `,
    `NStgid:\t${f.pid}`,
    `NSpid:\t${f.pid}`,
    `Kthread:\t${f.kthread === true ? 1 : 0}`,
    ...(f.rssKib === null ? [] : [`VmRSS:\t    ${f.rssKib ?? 4096} kB`]),
    `Threads:\t${f.threads ?? 1}`,
    `SigQ:\t0/15429`,
    `CapEff:\t0000000000000000`,
    `NoNewPrivs:\t0`,
    `Seccomp:\t0`,
    `voluntary_ctxt_switches:\t12`,
    `nonvoluntary_ctxt_switches:\t3`,
  ].join("\n");
  return Buffer.concat([Buffer.from("Name:\t"), name, Buffer.from(`\n${body}\n`)]);
}

/** A byte string (latin1, one char per byte) as the reader returns it: what `s` reads as on disk. */
export function byteString(s: Bytes): string {
  return toBuffer(s).toString("latin1");
}

/** Directory of a checked-in scenario, test/fixtures/proc/<scenario> (read from the source tree,
 * since tsc does not copy fixtures into dist/). */
export function fixtureRoot(scenario: string): string {
  const root = fileURLToPath(new URL(`../../../test/fixtures/proc/${scenario}`, import.meta.url));
  // git keeps no empty directories (a process with no open files has an empty fd/): a scenario
  // lists them in EMPTY_DIRS, and they are made here, in a clean clone too.
  try {
    for (const dir of readFileSync(join(root, "EMPTY_DIRS"), "utf8").split("\n")) {
      if (dir.trim() !== "") mkdirSync(join(root, dir.trim()), { recursive: true });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return root;
}

/** What {@link takeSnapshotInChild} reports: the Snapshot minus its clock readings. */
export interface ChildSnapshot {
  readonly processes: ProcessRecord[];
  readonly skipped: SkipCounts;
  readonly visibility: Visibility;
  readonly unreadable: number;
}

export interface ChildScanOptions {
  /** Fields every process is asked for (the plan, as a constant mask). */
  readonly fields?: FieldMask;
  readonly checkVisibility?: boolean;
  /** Run as this uid/gid (root only); omitted = as ourselves. */
  readonly uid?: number;
  readonly gid?: number;
  /** The child is SIGKILLed after this long: a hung read fails the test instead of hanging it. */
  readonly timeoutMs?: number;
}

export type ChildScanResult =
  | { readonly ok: true; readonly snapshot: ChildSnapshot }
  | { readonly ok: false; readonly signal: NodeJS.Signals | null; readonly status: number | null; readonly stderr: string };

const PROCFS_DIR = fileURLToPath(new URL("../../src/procfs/", import.meta.url));

// Runs takeSnapshot from dist/ in a fresh node. A blocked read cannot be interrupted in-process
// (proc-facts §6), so the deadline is a SIGKILL from spawnSync.
const CHILD_SCRIPT = `
const [root, url, fields, check] = process.argv.slice(1);
const { takeSnapshot } = await import(url);
const mask = Number(fields);
const s = takeSnapshot(root, { plan: mask === 0 ? undefined : () => mask, checkVisibility: check === "1" });
process.stdout.write(JSON.stringify({ processes: s.processes, skipped: s.skipped, visibility: s.visibility, unreadable: s.unreadable }));
`;

/** takeSnapshot(root) in a child node process, optionally as another user. */
export function takeSnapshotInChild(root: string, options: ChildScanOptions = {}): ChildScanResult {
  // Another uid may not enter the checkout: load the reader from a copy anyone can read.
  const procfs = options.uid === undefined ? PROCFS_DIR : publicCopy(PROCFS_DIR, "module");
  const url = pathToFileURL(join(procfs, "snapshot.js")).href;
  const args = ["--input-type=module", "-e", CHILD_SCRIPT, root, url, String(options.fields ?? 0), options.checkVisibility === true ? "1" : "0"];
  const r = spawnSync(process.execPath, args, {
    cwd: "/",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    encoding: "utf8",
    timeout: options.timeoutMs ?? 20_000,
    killSignal: "SIGKILL",
    maxBuffer: 256 * 1024 * 1024,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  if (r.status === 0 && r.signal === null) return { ok: true, snapshot: JSON.parse(r.stdout) as ChildSnapshot };
  return { ok: false, signal: r.signal, status: r.status, stderr: `${r.stderr}${r.error !== undefined ? ` (${r.error.message})` : ""}` };
}

/** Fixture trees made by one test file, removed together in its after(). */
export class TreePool {
  private readonly dirs: string[] = [];

  make(spec: ProcTreeSpec): string {
    const dir = tempProcRoot();
    this.dirs.push(dir);
    return makeProcTree(dir, spec);
  }

  cleanup(): void {
    for (const d of this.dirs) removeProcTree(d);
  }
}
