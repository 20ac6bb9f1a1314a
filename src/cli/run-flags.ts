// `procwatch run`'s flags: what they are, and how they are laid over the configuration (scalars
// replace, exemption lists add up). Pure.
import type { CpuRequest, DaemonConfig, SecurityRequest } from "../config/types.js";
import { DEFAULT_SELINUXFS } from "../procfs/selinuxfs.js";
import { isProblem, optionProblem, type Problem } from "../rules/problem.js";
import type { CpuFlags } from "./cpu-flags.js";
import type { SecurityFlags } from "./security-flags.js";

export interface RunFlags extends CpuFlags, SecurityFlags {
  config?: string;
  interval?: number;
  prometheusListen?: { host: string; port: number };
  recheck?: number;
  procRoot?: string;
  interpreters?: string[];
  /** --socket: not part of the configuration, passed to the daemon as is. */
  socket?: string;
}

/** Usage errors no configuration can fix. */
export function flagMisuse(flags: RunFlags): Problem | undefined {
  if (flags.cpuWindow !== undefined) return optionProblem("--cpu-window: the daemon measures CPU between consecutive scans; set --interval instead");
  return undefined;
}

/** The command line's flags over the configuration: scalars replace, exemption lists add up. */
export function withFlags(config: DaemonConfig, flags: RunFlags, typed: ReadonlySet<string>): DaemonConfig | Problem {
  const intervalMs = flags.interval ?? config.intervalMs;
  const cpu = cpuWithFlags(config.cpu, flags, typed, intervalMs);
  const security = securityWithFlags(config.security, flags);
  if (isProblem(security)) return security;
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

function securityWithFlags(security: SecurityRequest | undefined, flags: RunFlags): SecurityRequest | undefined | Problem {
  const base = flags.security === undefined ? security : {
    exemptNames: [], exemptUsers: [], deletedExeIgnore: [], ...security, checks: flags.security,
    selinuxfs: security?.selinuxfs ?? DEFAULT_SELINUXFS,
  };
  const extra = flags.securityExempt.length + flags.securityExemptUser.length + flags.deletedExeIgnore.length
    + (flags.deletedExeMaxUid === undefined ? 0 : 1) + (flags.selinuxfs === undefined ? 0 : 1);
  if (base === undefined) return extra === 0 ? undefined : optionProblem("security exemptions need --security or a security: section in the configuration");
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
