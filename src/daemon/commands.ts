// `procwatch run` and `procwatch validate` behind the command line: the configuration (file or
// built-in defaults) with the command line's rules and flags laid over it, then the daemon.
// Loaded through its own bundle (bin/daemon.ts) only by these commands, so `check` never loads
// the OTel SDK.
import { isProblem, type Problem } from "../rules/problem.js";
import { readAccounts } from "../system/accounts.js";
import { defaultConfig, loadConfig, type LoadResult, mergeCliRules } from "../config/load.js";
import type { DaemonConfig } from "../config/types.js";
import { describeConfig, loadScanSettings, runDaemon } from "./run.js";
import { escapeText } from "../output/escape.js";
import type { Formatted } from "../output/format.js";
import { VERSION } from "../version.js";

/** What `procwatch run` was asked on its command line. */
export interface DaemonStart {
  /** --config; absent: the built-in defaults. */
  readonly configPath?: string | undefined;
  /** Rules on the command line, added to the configuration's. */
  readonly ruleArgs: readonly string[];
  /** The command line's flags laid over the configuration; a string is a usage error. */
  readonly overlay: (config: DaemonConfig) => DaemonConfig | Problem;
  /** --socket: a Unix socket path, "none", or absent for the default (see socketFor). */
  readonly socket?: string | undefined;
}

/** The socket's name in systemd's RuntimeDirectory=procwatch (/run/procwatch, root-owned, 0755). */
export const SOCKET_NAME = "procwatch.sock";

/**
 * --socket PATH, or by default the socket in $RUNTIME_DIRECTORY, which systemd sets only when the
 * unit has RuntimeDirectory= (and then made that directory for the service's user alone); a
 * daemon started by hand serves TCP only unless asked.
 */
export function socketFor(flag: string | undefined, env: NodeJS.ProcessEnv): { path: string; isDefault: boolean } | undefined {
  if (flag === "none") return undefined;
  if (flag !== undefined) return { path: flag, isDefault: false };
  const dir = env.RUNTIME_DIRECTORY?.split(":")[0];
  return dir === undefined || dir === "" ? undefined : { path: `${dir}/${SOCKET_NAME}`, isDefault: true };
}

const log = (line: string): void => {
  process.stderr.write(`procwatch: ${line}\n`);
};

/** Runs until SIGTERM/SIGINT; the exit code. `typed`: the flags given on the command line. */
export async function startDaemon(start: DaemonStart): Promise<number> {
  const accounts = readAccounts();
  const env = process.env;
  const socket = socketFor(start.socket, env);
  const code = await runDaemon({ load: () => loadAll(start, accounts, env), accounts, version: VERSION, env, log, ...(socket === undefined ? {} : { socket }) });
  // Whatever a library left scheduled (an export retry timer) must not hold the exit.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}

/**
 * `procwatch validate --config FILE [--accounts-from DIR] [RULE...]`: every problem, or a one-line
 * summary. DIR holds the passwd and group files of the host the file is meant for.
 */
export function validateConfig(path: string, ruleArgs: readonly string[], accountsDir = "/etc"): Formatted {
  const accounts = readAccounts(accountsDir);
  const loaded = loadScanSettings({ load: () => merged(loadConfig(path, { accounts, env: process.env }), ruleArgs, accounts), accounts });
  if ("problems" in loaded) return { text: loaded.problems.map((p) => `${p}
`).join(""), exitCode: 1, stream: "stderr" };
  return { text: `${escapeText(path)}: ok: ${describeConfig(loaded.config)}
`, exitCode: 0 };
}

function loadAll(start: DaemonStart, accounts: ReturnType<typeof readAccounts>, env: NodeJS.ProcessEnv): LoadResult {
  const base = start.configPath === undefined ? defaultConfig({ env }) : loadConfig(start.configPath, { accounts, env });
  if ("problems" in base) return base;
  const config = start.overlay(base.config);
  if (isProblem(config)) return { problems: [config] };
  return merged({ config }, start.ruleArgs, accounts);
}

function merged(loaded: LoadResult, ruleArgs: readonly string[], accounts: ReturnType<typeof readAccounts>): LoadResult {
  return "problems" in loaded ? loaded : mergeCliRules(loaded.config, ruleArgs, { accounts });
}

