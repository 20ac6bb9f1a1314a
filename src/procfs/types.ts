// The records the procfs layer produces. Plain readonly data; knows nothing about rules.
// All process-derived text is a "byte string": the file's bytes decoded as latin1, one char per
// byte, so invalid UTF-8 survives exactly and two names differing only in bad bytes stay distinct.

/** Optional files, read only when the caller's plan asks for them (a scan reads what rules need). */
export const Field = {
  status: 1,
  cmdline: 2,
  exe: 4,
  label: 8,
} as const;
export type FieldName = keyof typeof Field;
/** Bit set of {@link Field} values. */
export type FieldMask = number;

export interface IdSet {
  readonly real: number;
  readonly effective: number;
  readonly saved: number;
  readonly fs: number;
}

export interface ExeInfo {
  /** Target of /proc/PID/exe as a byte string, with the kernel's " (deleted)" suffix removed. */
  readonly path: string;
  /** The kernel marked the file deleted or replaced since the process started it. */
  readonly deleted: boolean;
}

/** One process (a thread-group leader: threads are never listed as processes). */
export interface ProcessRecord {
  readonly pid: number;
  readonly ppid: number;
  /** Start time in clock ticks after boot, stat field 22. Identity is pid + startTicks. */
  readonly startTicks: number;
  /** One-letter state from stat field 3 (R, S, D, Z, T, t, X, I...). */
  readonly state: string;
  /** Kernel name (comm), stat field 2, between the first '(' and the last ')'. Byte string. */
  readonly comm: string;
  /** PF_KTHREAD set in stat field 9: a kernel thread (no exe, no cmdline). */
  readonly isKernelThread: boolean;
  /** CPU time in clock ticks, utime+stime (stat fields 14, 15), all threads summed. */
  readonly cpuTicks: number;
  /** Resident set in pages, stat field 24. */
  readonly rssPages: number;
  /** Threads in the group, stat field 20. */
  readonly threads: number;
  /** From status Uid:/Gid: lines; absent unless Field.status was read. */
  readonly uids?: IdSet;
  readonly gids?: IdSet;
  /** cmdline split on NUL (byte strings); absent unless Field.cmdline was read. */
  readonly argv?: readonly string[];
  /** cmdline was longer than the read cap; argv holds its start only. */
  readonly argvTruncated?: boolean;
  readonly exe?: ExeInfo;
  /** True when the exe link does not exist for a live process (kernel thread, exited leader). */
  readonly hasNoExe?: boolean;
  /** Raw security label from attr/current, trailing NUL/newline removed (byte string). */
  readonly label?: string;
  /** Fields whose read was attempted. */
  readonly readMask: FieldMask;
  /** Fields that could not be read (permission, hidepid, no LSM): their value is unknown. */
  readonly unknownMask: FieldMask;
  /** For each unknown field, why (errno code), e.g. { exe: "EACCES", label: "EINVAL" }. */
  readonly unknownWhy?: Readonly<Partial<Record<FieldName, string>>>;
}

export interface SkipCounts {
  /** Processes that left during the scan (ENOENT/ESRCH): normal, never an error. */
  vanished: number;
  /** Reads refused (EACCES/EPERM); the field is unknown, the process is kept. */
  denied: number;
  /** Files whose text did not parse; the process is dropped and counted. */
  parse: number;
  /** Other read errors (EIO...), counted. */
  other: number;
}

export interface Snapshot {
  /** Monotonic time of the scan start, nanoseconds (process.hrtime.bigint()). */
  readonly atNs: bigint;
  /** Wall-clock time of the scan start, milliseconds since the epoch. */
  readonly atMs: number;
  readonly processes: readonly ProcessRecord[];
  readonly skipped: Readonly<SkipCounts>;
  /** Whether other users' processes may be hidden from this reader (hidepid=2/invisible). */
  readonly visibility: Visibility;
  /** Processes listed under the root whose stat could not be read (hidepid=1): present, unknown. */
  readonly unreadable: number;
  /** Seconds since boot at the scan start (from <root>/uptime), when asked for and available. */
  readonly uptimeSec?: number;
}

export type Visibility =
  | { readonly kind: "full" }
  | { readonly kind: "hidden"; readonly reason: string };
