// The records the procfs layer produces. Plain readonly data; knows nothing about rules.
import type { CgroupInfo } from "./cgroup.js";
import type { ProcIo } from "./io.js";
// All process-derived text is a "byte string": the file's bytes decoded as latin1, one char per
// byte, so invalid UTF-8 survives exactly and two names differing only in bad bytes stay distinct.

/** Optional files, read only when the caller's plan asks for them (a scan reads what rules need). */
export const Field = {
  status: 1,
  cmdline: 2,
  exe: 4,
  label: 8,
  /** dev:inode of the running executable and of the file at its path (spoof resistance): asked
   * for only after a path rule or exe= matched the exe path, so most processes never pay for it. */
  exeFile: 16,
  /** The listening sockets the process holds: its fd links (socket:[INODE]) looked up in the
   * /proc/net tables of its network namespace. Asked for only by a listen= rule, and only after
   * the rest of that rule matched, so other processes never pay for it. */
  sockets: 32,
  /** An interpreter's script path against the file at that path here: the files the process
   * holds open whose fd link names one of its argv words, and whether it resolves paths from
   * procwatch's root. Asked for only after a path rule matched the script path. */
  scriptFile: 64,
  /** Open file descriptors (entries of fd/) and the soft RLIMIT_NOFILE (limits). Other users'
   * fd directories need root (CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE), so only rules with fds=
   * and the daemon's resource metrics ask for it. */
  fds: 128,
  /** Storage bytes read and written (io); needs ptrace read access like exe. */
  io: 256,
  /** The cgroup path, its systemd unit and container id (cgroup); readable by anyone. */
  cgroup: 512,
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

/** A file's identity from stat(2). */
export interface FileId {
  readonly dev: number;
  readonly ino: number;
}

/**
 * The file a process runs against the file its exe path names for procwatch. A user namespace
 * can bind-mount any file over /usr/sbin/sshd for its own processes: their exe link then reads
 * "/usr/sbin/sshd", but stat through the link gives the other file (proc-facts §1).
 */
export interface ExeFileCheck {
  /** stat through /proc/PID/exe: what the process really runs (the kernel's view, unspoofable). */
  readonly running: FileId;
  /** stat of exe.path in procwatch's own mount namespace, or the errno when there is no such
   * file here (ENOENT: another mount namespace, or the package was removed). */
  readonly atPath: FileId | { readonly error: string };
  /** Only for a replaced (" (deleted)") executable, whose inode differs from the file now at
   * the path by design: the mount id the running file is on (O_PATH through the exe link,
   * fdinfo mnt_id) and the one the path resolves to here, or why either is unknown. */
  readonly mounts?: { readonly running: MountId; readonly atPath: MountId };
  /** Only when the two differ: the process's mount namespace and procwatch's (readlink ns/mnt,
   * e.g. "mnt:[4026532290]"), to show where the other file came from; absent when unreadable. */
  readonly mountNs?: string;
  readonly ownMountNs?: string;
}

/** A mount id (/proc/self/fdinfo/FD mnt_id), or the errno that kept us from it. */
export type MountId = number | { readonly error: string };

/** An open file of a process whose fd link names one of its absolute argv words. */
export interface HeldArgvFile {
  /** The argv word, equal to the fd link's text with " (deleted)" removed. */
  readonly path: string;
  readonly deleted: boolean;
  readonly fd: number;
  /** stat through /proc/PID/fd/N: the file the process really holds. */
  readonly file: FileId;
  /** stat of `path` in procwatch's mount namespace, or the errno. */
  readonly atPath: FileId | { readonly error: string };
}

/**
 * What proves an interpreter's script path, which comes from argv (the process's own word): the
 * script file the process still holds open, compared by dev:inode (perl keeps it open only with
 * __END__/__DATA__; python and node close it after reading), or that the process resolves
 * absolute paths from procwatch's own root (same mount and dev:inode of /proc/PID/root), so the
 * path names the file procwatch sees. A user namespace's bind mount or a chroot breaks both.
 */
export interface ScriptFileCheck {
  /** Held files naming an argv word, among the lowest-numbered fds (scripts are opened first). */
  readonly held: readonly HeldArgvFile[];
  /** The fd directory could not be read (errno): `held` is then empty but says nothing. */
  readonly heldError?: string;
  /** /proc/PID/root against <proc root>/self/root: "same" mount and dev:inode, "other", or why
   * unknown (EACCES for another user's process without CAP_SYS_PTRACE). */
  readonly root: "same" | "other" | { readonly error: string };
  /** The process's mount namespace and procwatch's, when they differ (for the detail line). */
  readonly mountNs?: string;
  readonly ownMountNs?: string;
}

/** One security module's label of a process (procfs/lsm/ parses each module's format). */
export interface SecurityLabel {
  /** The module as /sys/kernel/security/lsm names it ("selinux", "apparmor", "smack"), or
   * "unknown" for a format no provider recognises in attr/current. */
  readonly module: string;
  /** The label as the module wrote it, its trailing NUL or newline removed (byte string). */
  readonly raw: string;
  /** The SELinux type or the AppArmor profile name (mode removed); absent for modules without
   * domains (Smack) and for text not in the module's format. */
  readonly domain?: string;
}

/** A socket that listens: a TCP socket in LISTEN, or a bound, unconnected UDP socket (state 07,
 * no remote port), from /proc/net/{tcp,tcp6,udp,udp6}. */
export interface ListeningSocket {
  readonly proto: "tcp" | "udp";
  /** 4 from tcp/udp, 6 from tcp6/udp6 (an IPv6 socket may be bound to an IPv4-mapped address). */
  readonly family: 4 | 6;
  /** The local address as text: "127.0.0.1", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1". */
  readonly address: string;
  /** The 16 address bytes as 32 lowercase hex digits, IPv4 in its IPv4-mapped form, so the same
   * address compares equal from either table (and with a rule's address, rules/address.ts). */
  readonly addressKey: string;
  readonly port: number;
  /** The socket's inode: what /proc/PID/fd/N links to as "socket:[INODE]". */
  readonly inode: number;
  /** The uid column: the socket's owner (its creator's uid); a hint, not the process holding it. */
  readonly uid: number;
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
  /** The user and system parts of cpuTicks (stat fields 14 and 15). */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** Major page faults, stat field 12 (the leader's; children's are not included). */
  readonly majorFaults: number;
  /** Resident set in pages, stat field 24. */
  readonly rssPages: number;
  /** Threads in the group, stat field 20. */
  readonly threads: number;
  /** From status Uid:/Gid: lines; absent unless Field.status was read. */
  readonly uids?: IdSet;
  readonly gids?: IdSet;
  /** Resident memory in KiB (status VmRSS); with Field.status, absent without memory (zombies). */
  readonly rssKib?: number;
  /** Context switches of the leader thread (status); with Field.status. */
  readonly contextSwitches?: { readonly voluntary: number; readonly involuntary: number };
  /** Open file descriptors and the soft limit on them (undefined: unlimited); Field.fds. */
  readonly fds?: { readonly open: number; readonly softLimit?: number };
  /** Storage I/O in bytes; Field.io. */
  readonly io?: ProcIo;
  /** The cgroup, unit and container; Field.cgroup. */
  readonly cgroup?: CgroupInfo;
  /** cmdline split on NUL (byte strings); absent unless Field.cmdline was read. */
  readonly argv?: readonly string[];
  /** cmdline was longer than the read cap; argv holds its start only. */
  readonly argvTruncated?: boolean;
  readonly exe?: ExeInfo;
  /** True when the exe link does not exist for a live process (kernel thread, exited leader). */
  readonly hasNoExe?: boolean;
  /** Security labels, one per active module that labels processes (several on kernels with
   * stacked modules; [] when the files read empty). Absent when unread or unreadable: no module
   * active is unknownWhy.label EINVAL (or ENOENT: no attr/ files at all). */
  readonly labels?: readonly SecurityLabel[];
  /** Running executable vs the file at its path; read only for processes a path rule matched. */
  readonly exeFile?: ExeFileCheck;
  /** Script path of an interpreter vs the file at that path; read only after a path rule matched it. */
  readonly scriptFile?: ScriptFileCheck;
  /** Listening sockets among the process's open files (Field.sockets); [] when it holds none. */
  readonly listening?: readonly ListeningSocket[];
  /** When the fd links were unreadable (Field.sockets unknown): every listening socket of the
   * process's network namespace, from <pid>/net, which needs no ptrace access. A port nothing
   * listens on there cannot be held by the process, whatever its fds. */
  readonly namespaceListening?: readonly ListeningSocket[];
  /** The name procwatch counts the process by (comm, or an interpreter's script name:
   * evaluate/match.ts countedName); set by measure/detail.ts on the processes an answer lists,
   * never by procfs, which knows nothing of rules. */
  readonly countedName?: string;
  /** The network namespace (ns/net link, e.g. "net:[4026532290]") when it is not procwatch's:
   * then `listening` came from that namespace's tables. Absent for procwatch's own namespace. */
  readonly netNs?: string;
  /** Fields whose read was attempted. */
  readonly readMask: FieldMask;
  /** Fields that could not be read (permission, hidepid, no LSM): their value is unknown. */
  readonly unknownMask: FieldMask;
  /** For each unknown field, why (errno code), e.g. { exe: "EACCES", label: "EINVAL" }; for
   * sockets the fd directory's code, or "net/tcp6: EIO" when a socket table was unreadable. */
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
  /** Monotonic time of the scan start, nanoseconds (process.hrtime.bigint(), or the clock the
   * scan was given). */
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
  /** The listening sockets of procwatch's own network namespace (<root>/net/*), when the scan was
   * asked for them (a listen= rule): who holds a port, for detail lines. */
  readonly listening?: readonly ListeningSocket[] | { readonly error: string };
}

export type Visibility =
  | { readonly kind: "full" }
  | { readonly kind: "hidden"; readonly reason: string };
