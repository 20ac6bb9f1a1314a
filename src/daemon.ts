// `procwatch run` and `procwatch validate` behind the command line: the configuration (file or
// built-in defaults) with the command line's rules and flags laid over it, then the daemon.
// A separate bundle, loaded only by these commands, so `check` never loads the OTel SDK.
import { readAccounts } from "./accounts.js";
import type { CpuRequest, SecurityRequest } from "./check.js";
import { defaultConfig, loadConfig, type LoadResult, mergeCliRules } from "./config/load.js";
import type { DaemonConfig } from "./config/types.js";
import type { CpuFlags } from "./cpu-options.js";
import { describeConfig, loadProgram, runDaemon } from "./daemon/run.js";
import { escapeText } from "./output/escape.js";
import type { Formatted } from "./output/format.js";
import { DEFAULT_SELINUXFS } from "./procfs/selinuxfs.js";
import type { SecurityFlags } from "./security-options.js";
import { VERSION } from "./version.js";

export interface RunFlags extends CpuFlags, SecurityFlags {
  config?: string;
  interval?: number;
  prometheusListen?: { host: string; port: number };
  recheck?: number;
  procRoot?: string;
  interpreters?: string[];
}

const log = (line: string): void => {
  process.stderr.write(`procwatch: ${line}\n`);
};

/** Runs until SIGTERM/SIGINT; the exit code. `typed`: the flags given on the command line. */
export async function startDaemon(ruleArgs: readonly string[], flags: RunFlags, typed: ReadonlySet<string>): Promise<number> {
  const misuse = flagMisuse(flags);
  if (misuse !== undefined) {
    log(misuse);
    return 1;
  }
  const accounts = readAccounts();
  const env = process.env;
  const code = await runDaemon({ load: () => loadAll(ruleArgs, flags, typed, accounts, env), accounts, version: VERSION, env, log });
  // Whatever a library left scheduled (an export retry timer) must not hold the exit.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}

/** `procwatch validate --config FILE [RULE...]`: every problem, or a one-line summary. */
export function validateConfig(path: string, ruleArgs: readonly string[]): Formatted {
  const accounts = readAccounts();
  const loaded = loadProgram({ load: () => merged(loadConfig(path, { accounts, env: process.env }), ruleArgs, accounts), accounts });
  if ("problems" in loaded) return { text: loaded.problems.map((p) => `${p}\n`).join(""), exitCode: 1 };
  return { text: `${escapeText(path)}: ok: ${describeConfig(loaded.config)}\n`, exitCode: 0 };
}

function loadAll(ruleArgs: readonly string[], flags: RunFlags, typed: ReadonlySet<string>, accounts: ReturnType<typeof readAccounts>, env: NodeJS.ProcessEnv): LoadResult {
  const base = flags.config === undefined ? defaultConfig({ env }) : loadConfig(flags.config, { accounts, env });
  if ("problems" in base) return base;
  const config = withFlags(base.config, flags, typed);
  if (typeof config === "string") return { problems: [{ file: "options", line: 1, column: 1, token: "", reason: config }] };
  return merged({ config }, ruleArgs, accounts);
}

function merged(loaded: LoadResult, ruleArgs: readonly string[], accounts: ReturnType<typeof readAccounts>): LoadResult {
  return "problems" in loaded ? loaded : mergeCliRules(loaded.config, ruleArgs, { accounts });
}

/** Usage errors no configuration can fix. */
function flagMisuse(flags: RunFlags): string | undefined {
  if (flags.cpuWindow !== undefined) return "--cpu-window: the daemon measures CPU between consecutive scans; set --interval instead";
  return undefined;
}

/** The command line's flags over the configuration: scalars replace, exemption lists add up. */
function withFlags(config: DaemonConfig, flags: RunFlags, typed: ReadonlySet<string>): DaemonConfig | string {
  const intervalMs = flags.interval ?? config.intervalMs;
  const cpu = cpuWithFlags(config.cpu, flags, typed, intervalMs);
  const security = securityWithFlags(config.security, flags);
  if (typeof security === "string") return security;
  return {
    ...config,
    intervalMs,
    // --recheck D: fail only when the failure spans D, i.e. in the scan and the ones D later.
    forCycles: flags.recheck === undefined ? config.forCycles : 1 + Math.ceil(flags.recheck / intervalMs),
    ...(flags.procRoot === undefined ? {} : { procRoot: flags.procRoot }),
    ...(flags.interpreters === undefined ? {} : { interpreters: flags.interpreters }),
    ...(cpu === undefined ? {} : { cpu }),
    ...(security === undefined ? {} : { security }),
    export: flags.prometheusListen === undefined
      ? config.export
      // The address of the listener, which serves /verdicts even with the Prometheus export off.
      : { ...config.export, prometheus: { ...config.export.prometheus, ...flags.prometheusListen } },
  };
}

function cpuWithFlags(cpu: CpuRequest | undefined, flags: RunFlags, typed: ReadonlySet<string>, intervalMs: number): CpuRequest | undefined {
  const touched = ["cpuMax", "cpuLifetime", "cpuExempt", "cpuExemptUser", "cpuIncludeNormalUsers", "cpuNoDefaultExempt", "cpuTop", "clockTicks"].some((k) => typed.has(k));
  if (!touched) return cpu;
  const base: CpuRequest = cpu ?? {
    basis: { kind: "window", windowMs: intervalMs }, exemptNames: [], exemptUsers: [], includeNormalUsers: false, defaultExempt: true, top: flags.cpuTop,
  };
  const maxPercent = flags.cpuMax ?? base.maxPercent;
  return {
    ...(maxPercent === undefined ? {} : { maxPercent }),
    basis: flags.cpuLifetime === true ? { kind: "lifetime" } : base.basis,
    exemptNames: [...base.exemptNames, ...flags.cpuExempt],
    exemptUsers: [...base.exemptUsers, ...flags.cpuExemptUser],
    includeNormalUsers: base.includeNormalUsers || flags.cpuIncludeNormalUsers === true,
    defaultExempt: base.defaultExempt && flags.cpuNoDefaultExempt !== true,
    top: typed.has("cpuTop") ? flags.cpuTop : base.top,
    ...(flags.clockTicks ?? base.clockTicks) === undefined ? {} : { clockTicks: flags.clockTicks ?? base.clockTicks },
  };
}

function securityWithFlags(security: SecurityRequest | undefined, flags: RunFlags): SecurityRequest | undefined | string {
  const base = flags.security === undefined ? security : {
    exemptNames: [], exemptUsers: [], deletedExeIgnore: [], ...security, checks: flags.security,
    selinuxfs: security?.selinuxfs ?? DEFAULT_SELINUXFS,
  };
  const extra = flags.securityExempt.length + flags.securityExemptUser.length + flags.deletedExeIgnore.length
    + (flags.deletedExeMaxUid === undefined ? 0 : 1) + (flags.selinuxfs === undefined ? 0 : 1);
  if (base === undefined) return extra === 0 ? undefined : "security exemptions need --security or a security: section in the configuration";
  const maxUid = flags.deletedExeMaxUid ?? base.deletedExeMaxUid;
  return {
    ...base,
    exemptNames: [...base.exemptNames, ...flags.securityExempt],
    exemptUsers: [...base.exemptUsers, ...flags.securityExemptUser],
    deletedExeIgnore: [...base.deletedExeIgnore, ...flags.deletedExeIgnore],
    ...(maxUid === undefined ? {} : { deletedExeMaxUid: maxUid }),
    selinuxfs: flags.selinuxfs ?? base.selinuxfs,
  };
}
