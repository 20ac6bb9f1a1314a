// Commander wiring of `procwatch run` and `procwatch validate`: flags → RunFlags, then the daemon
// module (loaded only for these commands: the one-shot check never pays for the OTel SDK).
import { type Command, InvalidArgumentError } from "commander";
import { isLoopback, parseListen } from "../config/listen-address.js";
import { withCpuOptions } from "./cpu-flags.js";
import type { DaemonStart } from "../daemon/commands.js";
import { formatFailure } from "../output/problems.js";
import { flagMisuse, type RunFlags, withFlags } from "./run-flags.js";
import { durationArg } from "./arg-parsers.js";
import type { Formatted } from "../output/format.js";
import { withSecurityOptions } from "./security-flags.js";

const listenArg = (value: string): { host: string; port: number } => {
  const parsed = parseListen(value);
  if (typeof parsed === "string") throw new InvalidArgumentError(`--prometheus-listen: "${value}": ${parsed}`);
  // Same rule as the file's allow_public, which the command line has no flag for on purpose:
  // exposing an unauthenticated endpoint should be a reviewed line in a file, not a typo.
  if (!isLoopback(parsed.host)) {
    throw new InvalidArgumentError(`--prometheus-listen: "${value}" is not a loopback address; a public listener needs allow_public: true in the config file`);
  }
  return parsed;
};

/** The daemon's commands, loaded only when `run` or `validate` is asked (bin/program.ts loads its bundle). */
export interface DaemonCommands {
  startDaemon(start: DaemonStart): Promise<number>;
  validateConfig(path: string, ruleArgs: readonly string[], accountsDir?: string): Formatted;
}

export function addDaemonCommands(cli: Command, emit: (result: Formatted) => void, loadDaemon: () => Promise<DaemonCommands>): void {
  withSecurityOptions(withCpuOptions(
    cli
      .command("run")
      .description("the receiver daemon: scan every interval, publish OpenTelemetry metrics (Prometheus endpoint, OTLP) and serve verdicts to check --from")
      .argument("[rules...]", "rules in the check grammar, added to the config file's")
      .option("--config <file>", "YAML configuration (see examples/procwatch.example.yaml); default: built-in defaults (every security check, runaway CPU > 90%)")
      .option("--interval <duration>", "time between scans (default 10s, or the file's interval)", durationArg("--interval", 1000))
      .option("--prometheus-listen <addr:port>", "address of the /metrics, /verdicts and /healthz listener (loopback; default 127.0.0.1:9477)", listenArg)
      .option("--socket <path>", "also serve /verdicts on this Unix socket (mode 0660), for check --from unix:PATH; \"none\": no socket (default: procwatch.sock in systemd's RuntimeDirectory, when set)")
      .option("--recheck <duration>", "report a failure only when it lasts DURATION (rounded up to whole scans); sets the file's for_cycles",
        durationArg("--recheck"))
      .option("--proc-root <dir>", "read processes from DIR instead of /proc")
      .option("--interpreters <list>", "comma-separated interpreter names whose script is the process name (replaces the list)",
        (v: string) => v.split(",").filter((s) => s !== "")),
    { hasWindow: false },
  ))
    .action(async (rules: string[], flags: RunFlags, cmd: Command) => {
      // Flags with a commander default (--cpu-top) override the file only when typed.
      const typed = new Set(Object.keys(flags).filter((k) => cmd.getOptionValueSource(k) === "cli"));
      const misuse = flagMisuse(flags);
      if (misuse !== undefined) {
        // The daemon logs to stderr; its refusal to start goes there too, in the failure's mon form.
        process.stderr.write(formatFailure("mon", misuse.reason).text);
        emit({ text: "", exitCode: 1 });
        return;
      }
      const daemon = await loadDaemon();
      emit({ text: "", exitCode: await daemon.startDaemon({ configPath: flags.config, ruleArgs: rules, socket: flags.socket, overlay: (config) => withFlags(config, flags, typed) }) });
    });

  cli
    .command("validate")
    .description("check a configuration file (and command-line rules) without running: every problem at file:line:column")
    .requiredOption("--config <file>", "the YAML configuration to check")
    .option("--accounts-from <dir>", "resolve user and group names in DIR/passwd and DIR/group only (the target host's, copied), not this host's", "/etc")
    .argument("[rules...]", "command-line rules that `run` would add")
    .action(async (rules: string[], flags: { config: string; accountsFrom: string }) => {
      const daemon = await loadDaemon();
      emit(daemon.validateConfig(flags.config, rules, flags.accountsFrom));
    });
}
