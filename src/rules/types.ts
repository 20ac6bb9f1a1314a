// What a rule says, independent of where it was written (argv or YAML). Plain data.

/** Inclusive count bounds; an absent bound is unbounded. 0 is a real bound (0-0: must not run). */
export interface CountRange {
  readonly min?: number;
  readonly max?: number;
}

/** Where a rule came from, for error messages and output. */
export interface RuleSource {
  /** "argv" for the command line, else a file path. */
  readonly file: string;
  /** argv: 1-based position among the rule arguments; file: 1-based line. */
  readonly line: number;
  readonly column: number;
}

export type Selector =
  /** Matches the process name: comm, the script of an interpreter, or a long name via exe/argv[0]. */
  | { readonly kind: "name"; readonly name: string }
  /** Matches the executable path (or an interpreter's script path); glob characters allowed. */
  | {
    readonly kind: "path"; readonly path: string; readonly pattern: RegExp;
    /** No glob character (*, ?, [ or a backslash): `pattern` holds for `path` itself and nothing
     * else, so a string comparison decides it (a scan asks up to three times per process). */
    readonly literal: boolean;
  };

/** An IP address literal from a rule (listen=ADDR:PORT, tcp://ADDR:PORT); see address.ts. */
export interface IpAddress {
  /** As written (brackets removed), for messages. */
  readonly text: string;
  readonly family: 4 | 6;
  /** The 16 bytes as 32 lowercase hex digits, an IPv4 address in its IPv4-mapped form
   * (::ffff:a.b.c.d), so it equals the same address in an IPv6 socket's row of /proc/net/tcp6. */
  readonly key: string;
}

/** The listening socket a `listen=` qualifier asks for. */
export interface ListenSpec {
  readonly proto: "tcp" | "udp";
  /** The exact local address the socket is bound to; absent: any address, IPv4 or IPv6. */
  readonly address?: IpAddress;
  readonly port: number;
}

export type Qualifier =
  | { readonly key: "user" | "uid"; readonly text: string; readonly id: number }
  | { readonly key: "group" | "gid"; readonly text: string; readonly id: number }
  | { readonly key: "exe"; readonly text: string; readonly pattern: RegExp }
  | { readonly key: "args"; readonly text: string; readonly pattern: RegExp }
  /** Glob over the raw label of any of the process's security modules. */
  | { readonly key: "label"; readonly text: string; readonly pattern: RegExp }
  /** Glob over the domain: the SELinux type or the AppArmor profile name. */
  | { readonly key: "domain"; readonly text: string; readonly pattern: RegExp }
  /** The process holds a listening socket on this port (fd links against /proc/net tables). */
  | { readonly key: "listen"; readonly text: string; readonly listen: ListenSpec }
  /**
   * unit=NAME (a glob: the systemd unit, e.g. ssh.service), cgroup=GLOB (the cgroup path) and
   * container=GLOB (the container id; `container=*` any container). With `!=` the process must
   * NOT be there: `sshd:0-0,unit!=ssh.service` fails on an sshd running outside its unit.
   */
  | { readonly key: "unit" | "cgroup" | "container"; readonly text: string; readonly pattern: RegExp; readonly negate: boolean };

export type QualifierKey = Qualifier["key"];

export interface CountRule {
  readonly kind: "count";
  /** The argument as written, e.g. "sshd:1-,user=root". */
  readonly text: string;
  /** The argument without the range, e.g. "sshd,user=root": names the rule in summaries. */
  readonly label: string;
  readonly selector: Selector;
  readonly range: CountRange;
  /**
   * The `warn=MIN-MAX` qualifier: counts outside it are a Nagios WARNING while `range` still
   * holds (outside `range` is CRITICAL). Only the nagios format uses it; mon and json ignore it.
   * Not a matching qualifier, so it is neither in `qualifiers` nor in `label`.
   */
  readonly warn?: CountRange;
  /**
   * The `cpu=MIN-MAX` qualifier: bounds on the total CPU percentage (100 = one CPU) of the matched
   * processes over the check's CPU window (or lifetime): `boinc:1-,cpu=50-` fails when BOINC
   * stops working, `named:1-1,cpu=-80` when the name server spins.
   */
  readonly cpu?: CountRange;
  /** rss=, fds=, threads=, age=, restarts=: conditions every matched process must keep. */
  readonly limits?: ProcessLimits;
  readonly qualifiers: readonly Qualifier[];
  readonly source: RuleSource;
}

/** Per-process resource conditions of a rule (rules/limits.ts). Bounds are inclusive. */
export interface ProcessLimits {
  /** Resident memory of each process, bytes. */
  readonly rssBytes?: CountRange;
  /** Open file descriptors of each process, as a count or a percentage of its soft limit. */
  readonly fds?: CountRange & { readonly unit: "count" | "percent" };
  /** Threads of each process. */
  readonly threads?: CountRange;
  /** Time since each process started, milliseconds (age=10m-: a restart in the last 10 minutes fails). */
  readonly ageMs?: CountRange;
  /** The daemon only: at most `max` new processes (pid + start time) in `windowMs`. */
  readonly restarts?: RestartLimit;
}

export interface RestartLimit {
  readonly max: number;
  readonly windowMs: number;
}

/**
 * A service probe, `tcp://127.0.0.1:22,banner=^SSH-2.0-`: one TCP connection per check (per scan
 * in the daemon), optionally reading the first line the service sends and matching it.
 */
export interface ProbeRule {
  readonly kind: "probe";
  /** The argument as written. */
  readonly text: string;
  /** The argument without timeout= and remote=, e.g. "tcp://127.0.0.1:22,banner=^SSH-": names
   * the probe in summaries and metrics (a YAML rule's name: replaces it). */
  readonly label: string;
  /** An IP literal that net.connect takes as is (no DNS lookup): "127.0.0.1", "::1". */
  readonly host: string;
  readonly address: IpAddress;
  readonly port: number;
  /** banner=REGEX: the banner (the first line the service sends) must match; linear-time. */
  readonly banner?: { readonly text: string; readonly pattern: RegExp };
  /** Bound on connect and banner together. */
  readonly timeoutMs: number;
  /** remote=yes: the address is not loopback, and the rule says probing it is intended. */
  readonly isRemote: boolean;
  readonly source: RuleSource;
}

export type Rule = CountRule | ProbeRule;

/** How CPU is measured: over a window between two scans (ms), or over each process's lifetime. */
export type CpuBasis = { readonly kind: "window"; readonly windowMs: number } | { readonly kind: "lifetime" };
