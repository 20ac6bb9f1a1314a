// Command-line wiring only: flags → a request → the scanner → the output and exit code.
// Writes through a CliOutput: by default this process's stdout, stderr and process.exitCode
// (returns, no process.exit, so output piped to mon is flushed); under the shell lines of
// dist/bin/cli.js, the answer frames of bin/check.ts.
// In Nagios mode (check --format nagios, spotted in argv before parsing) every outcome, even a
// commander usage error, --help or a crash, exits 0-3 with a PROCS line on stdout.
import { DEFAULT_INTERPRETERS } from "../rules/interpreters.js";
import type { CheckRequest } from "../check/request.js";
import type { CpuRequest } from "../config/types.js";
import type { OutputFormat } from "../output/format.js";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { Formatted } from "../output/format.js";
import { NAGIOS_EXIT, formatNagiosUnknown } from "../output/nagios.js";
import { formatFailure, formatProblems } from "../output/problems.js";
import { isProblem, optionProblem, type Problem } from "../rules/problem.js";
import { formatDuration } from "../rules/duration.js";
import { type CpuFlags, cpuRequest, withCpuOptions } from "./cpu-flags.js";
import { type SecurityFlags, securityRequest, withSecurityOptions } from "./security-flags.js";
import { durationArg } from "./arg-parsers.js";
import { checkFrom } from "../check/from-daemon.js";
import { readAccounts } from "../system/accounts.js";
import { addDaemonCommands, type DaemonCommands } from "./run-command.js";
import type { ScanChild } from "../check/supervise.js";
import { VERSION } from "../version.js";

const wholeArg = (flag: string, min: number, max: number) => (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidArgumentError(`${flag}: "${value}" is not a whole number from ${min} to ${max}`);
  }
  return Number(value);
};

interface CommonOptions {
  procRoot: string;
  timeout: number;
  interpreters: string[];
}

const CHECK_TIMEOUT_HELP = "bound the whole run; on expiry exit 1 (mon) or 3, UNKNOWN (nagios), saying so";

function withCommonOptions(cmd: Command, timeoutHelp = CHECK_TIMEOUT_HELP): Command {
  return cmd
    .option("--proc-root <dir>", "read processes from DIR instead of /proc (a container's /host/proc, a test fixture)", "/proc")
    .addOption(new Option("--timeout <duration>", timeoutHelp)
      .argParser(durationArg("--timeout", 100)).default(10_000, "10s"))
    .option("--interpreters <list>", "comma-separated interpreter names whose script is the process name (globs allowed)",
      (v: string) => v.split(",").filter((s) => s !== ""), [...DEFAULT_INTERPRETERS]);
}

const RULE_HELP = `
Rules (ps.monitor compatible):  NAME:MIN-MAX[,key=value...]  or  /PATH:MIN-MAX[,...]
  sshd:1-      at least one          cron:1-5    one to five
  foo:-3       at most three         telnetd:0-0 must not run (0 is a real bound)
  NAME matches the process name (comm); names longer than 15 bytes are confirmed through the
  executable or argv[0]; for interpreters (${DEFAULT_INTERPRETERS.slice(0, 7).join(", ")}...) the script's
  basename counts, interpreter options skipped. A selector starting with / matches the
  executable path (glob), or the script path of an interpreter. Zombies never count.
Qualifiers (all must hold):
  user=NAME|UID, group=NAME|GID   real AND effective id must both be that id, so a setuid
                                  helper started by another user is not counted
  uid=N, gid=N                    the same with a number
  exe=/path/or/glob               the kernel's exe link (not argv)
  args=REGEX                      the command line (arguments joined by spaces); linear-time
                                  regular expressions only (no backreferences, no lookaround)
  label=GLOB                      the security label, e.g. label=*:sshd_t:*
  domain=GLOB                     the SELinux type or AppArmor profile, e.g. domain=sshd_t;
                                  with no security module active, label= and domain= are
                                  not applicable: the rule is unknown, never a guess
  listen=[tcp/|udp/][ADDR:]PORT   holds a socket listening on that port: listen=25, listen=udp/53,
                                  listen=127.0.0.1:25, listen=::1:25 (needs root to read other
                                  users' fd links; otherwise the rule is unknown, never a miss)
  cpu=MIN-MAX                     total CPU of the matched processes, in % of one CPU, over the
                                  --cpu-window (or --cpu-lifetime): boinc:1-,cpu=50- must work
  warn=MIN-MAX                    --format nagios only: WARNING outside this range while the
                                  rule's own range holds (outside that: CRITICAL)
Probes (one TCP connection per check; loopback only unless remote=yes):
  tcp://ADDR:PORT[,banner=REGEX][,timeout=D][,remote=yes]
  tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_   the first line must match (linear-time regex)
  tcp://::1:631,timeout=500ms                    connect only; timeout default 2s
  Down: refused, timeout, wrong banner (shown escaped), closed: each named in the summary.
Under mon, end the monitor line with ';;' or mon appends host names as extra arguments.`;

/** Where the CLI's text and exit code go. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

/** This process's stdout, stderr and exit code. */
export function processOutput(): CliOutput {
  process.stdout.on("error", () => {
    // EPIPE: the reader went away. The exit code still carries the verdict.
  });
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    exit: (code) => (process.exitCode = code),
  };
}

export interface CliOptions {
  /** Where commander's help and --version go. */
  readonly writeOut: (text: string) => void;
  /** Where commander's error messages go (help and --version always go to writeOut). */
  readonly writeErr: (text: string) => void;
  /** Loads `run` and `validate` (their own bundle); absent: those commands fail as a bug. */
  readonly loadDaemon?: () => Promise<DaemonCommands>;
  /** false: no run and validate commands at all (bin/check.ts, which the shell lines start for
   * check and explain only; their options cost start-up to declare). Default true. */
  readonly daemonCommands?: boolean;
}

export function buildCli(emit: (result: Formatted) => void, scanChild: ScanChild, options: CliOptions): Command {
  const cli = new Command("procwatch")
    .description("Process monitor for Linux: checks that the right daemons run, in the right number, as the right user")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: options.writeOut, writeErr: options.writeErr })
    .showHelpAfterError(false);

  withSecurityOptions(withCpuOptions(withCommonOptions(
    cli
      .command("check")
      .description("one-shot check for mon (a better ps.monitor; exit 0 when every rule holds, else 1 with a summary) or Nagios (--format nagios; exit 0-3)")
      .argument("[rules...]", "rules, see below")
      .addOption(new Option("--format <format>", "output format").choices(["mon", "json", "nagios"]).default("mon"))
      .option("--recheck <duration>", "when a rule fails, scan again after DURATION and report only rules that fail twice", durationArg("--recheck"))
      .option("--detail-limit <n>", "process lines shown per failing rule (json: processes listed per list of each rule and check)", wholeArg("--detail-limit", 0, 1000), 10)
      .option("--from [where]", "report the latest verdicts of a running `procwatch run` instead of scanning: unix:PATH or a loopback http://ADDR:PORT "
        + "(default: unix:/run/procwatch/procwatch.sock if it exists, else http://127.0.0.1:9477); fails when the daemon is unreachable, "
        + "not owned by the expected user, or its last scan is older than three intervals")
      .option("--from-owner <user>", "with --from: the user (name or uid) the daemon runs as; its socket must belong to that user or root (default: root)"),
  )))
    .addHelpText("after", RULE_HELP)
    .action(async (rules: string[], opts: CommonOptions & CpuFlags & SecurityFlags & { format: OutputFormat; recheck?: number; detailLimit: number; from?: string | true; fromOwner?: string }) => {
      if (opts.from !== undefined) {
        // The daemon's configuration decides what is checked; rules here would be silently ignored.
        if (rules.length > 0) emit(formatFailure(opts.format, `--from prints the daemon's verdicts; its configuration holds the rules, not the command line ("${rules[0]}")`));
        else emit(await checkFrom({ from: opts.from === true ? undefined : opts.from, format: opts.format, timeoutMs: opts.timeout, owner: opts.fromOwner }, { accounts: readAccounts() }));
        return;
      }
      if (opts.fromOwner !== undefined) {
        emit(formatFailure(opts.format, "--from-owner goes with --from"));
        return;
      }
      const cpu = cpuRequest(opts);
      if (isProblem(cpu)) {
        emit(formatProblems(opts.format, [cpu]));
        return;
      }
      const security = securityRequest(opts);
      if (isProblem(security)) {
        emit(formatProblems(opts.format, [security]));
        return;
      }
      const problem = timeBudgetProblem(rules, opts, cpu);
      if (problem !== undefined) {
        emit(formatProblems(opts.format, [problem]));
        return;
      }
      emit(await supervised(scanChild, {
        mode: "check",
        rules,
        procRoot: opts.procRoot,
        format: opts.format,
        interpreters: opts.interpreters,
        detailLimit: opts.detailLimit,
        // Probes are cut to what is left of it, so a slow service reads as such, not as a hang.
        timeoutMs: opts.timeout,
        cpu,
        ...(security === undefined ? {} : { security }),
        ...(opts.recheck === undefined ? {} : { recheckMs: opts.recheck }),
      }, opts.timeout));
    });

  withCommonOptions(
    cli
      .command("explain")
      .description("show how procwatch sees one process (--pid), or every match and near miss of some rules")
      .argument("[rules...]", "rules, as for check")
      .option("--pid <pid>", "explain this process", wholeArg("--pid", 1, 4_194_304)),
    "bound the whole run; on expiry exit 1, saying so",
  ).action(async (rules: string[], opts: CommonOptions & { pid?: number }) => {
    if ((opts.pid === undefined) === (rules.length === 0)) {
      emit(formatFailure("mon", "explain takes either --pid PID or rules"));
      return;
    }
    emit(await supervised(scanChild, {
      mode: opts.pid === undefined ? "explain-rules" : "explain-pid",
      rules,
      procRoot: opts.procRoot,
      format: "mon",
      interpreters: opts.interpreters,
      timeoutMs: opts.timeout,
      ...(opts.pid === undefined ? {} : { pid: opts.pid }),
    }, opts.timeout));
  });
  if (options.daemonCommands !== false) addDaemonCommands(cli, emit, options.loadDaemon ?? (() => Promise.reject(new Error("bug: no daemon loader"))));
  return cli;
}

/**
 * The waits a check will make (CPU window, recheck, second window) must fit in --timeout, or the
 * check could only ever time out.
 */
function timeBudgetProblem(rules: readonly string[], opts: { timeout: number; recheck?: number; cpuMax?: number }, cpu: CpuRequest): Problem | undefined {
  const usesCpu = opts.cpuMax !== undefined || rules.some((r) => /,cpu=/.test(r));
  const window = usesCpu && cpu.basis.kind === "window" ? cpu.basis.windowMs : 0;
  const waits = window + (opts.recheck === undefined ? 0 : opts.recheck + window);
  if (waits < opts.timeout) return undefined;
  const parts = [opts.recheck === undefined ? "" : `--recheck ${formatDuration(opts.recheck)}`, window > 0 ? `--cpu-window ${formatDuration(window)}` : ""].filter((p) => p !== "");
  const total = parts.length > 1 ? ` (${formatDuration(waits)} of waiting in all)` : "";
  return optionProblem(`${parts.join(" and ")}${total} must be shorter than --timeout ${formatDuration(opts.timeout)}`);
}

function supervised(scanChild: ScanChild, request: Omit<CheckRequest, "excludeRoots">, timeoutMs: number): Promise<Formatted> {
  return scanChild.run(request, {
    timeoutMs,
    onTimeout: () => formatFailure(request.format, `check timed out after ${formatDuration(timeoutMs)}`,
      "a /proc read did not finish in time (a process stuck in D state?)"),
    onFailure: (reason) => formatFailure(request.format, "internal error", reason),
    onUnavailable: (reason) => formatFailure(request.format, "cannot run the check", reason),
    onSignal: (signal) => formatFailure(request.format, `interrupted by ${signal}`),
  });
}

/**
 * The --format a `check` command line asks for, read before commander parses it, so that even
 * commander's own errors can be reported the Nagios way. Commander takes the last occurrence;
 * arguments after "--" are rules.
 */
export function requestedFormat(argv: readonly string[]): string | undefined {
  if (argv[2] !== "check") return undefined;
  let format: string | undefined;
  for (let i = 3; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    if (arg === "--format") format = argv[++i];
    else if (arg.startsWith("--format=")) format = arg.slice("--format=".length);
  }
  return format;
}

/** Runs the CLI; `scanChild` runs the checks (see check/supervise.ts and bin/check.ts).
 * Without `loadDaemon`, there are no run and validate commands. */
export async function runCli(argv: readonly string[], scanChild: ScanChild, loadDaemon: (() => Promise<DaemonCommands>) | undefined, output: CliOutput = processOutput()): Promise<void> {
  let result: Formatted | undefined;
  const isNagios = requestedFormat(argv) === "nagios";
  // Nagios keeps only stdout and wants one line: commander's message is reworded below.
  const cli = buildCli((r) => (result = r), scanChild, {
    writeOut: output.out,
    writeErr: isNagios ? () => undefined : output.err,
    ...(loadDaemon === undefined ? { daemonCommands: false } : { loadDaemon }),
  });
  try {
    await cli.parseAsync([...argv]);
  } catch (err) {
    if (isNagios) {
      // Plugin convention: --help and --version exit 3 (UNKNOWN) too; their text is already out.
      // Anything else, a bug included, must still be UNKNOWN: exit 1 would read as WARNING.
      if (err instanceof CommanderError && err.exitCode === 0) output.exit(NAGIOS_EXIT.UNKNOWN);
      else emitNagiosError(err, output);
      return;
    }
    if (!(err instanceof CommanderError)) throw err;
    // --help and --version exit 0; usage errors were already printed (to stderr) by commander.
    output.exit(err.exitCode === 0 ? 0 : 1);
    return;
  } finally {
    scanChild.cancel();
  }
  if (result !== undefined) {
    (result.stream === "stderr" ? output.err : output.out)(result.text);
    output.exit(result.exitCode);
  }
}

function emitNagiosError(err: unknown, output: CliOutput): void {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.replace(/^error: /, "").split("\n").filter((l) => l !== "");
  const reason = err instanceof CommanderError ? (lines[0] ?? "usage error") : `internal error: ${lines[0] ?? ""}`;
  // Nagios drops stderr when there is stdout; the stack is for whoever runs the plugin by hand.
  if (!(err instanceof CommanderError) && err instanceof Error) output.err(`${err.stack ?? message}\n`);
  const result = formatNagiosUnknown(reason, lines.slice(1));
  output.out(result.text);
  output.exit(result.exitCode);
}
