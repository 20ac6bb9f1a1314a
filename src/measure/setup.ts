// Settings → MeasureSetup: user names resolved to uids, exemption names to bytes, CLK_TCK known.
// Shared by the one-shot check and the daemon. Reads /etc (accounts, login.defs) and getconf only.
import { DEFAULT_CPU_EXEMPT, type RunawaySettings } from "../evaluate/runaway.js";
import { DEFAULT_DELETED_EXE_IGNORE, type Exemptions, type SecuritySettings } from "../evaluate/security.js";
import type { InterpreterSet } from "../evaluate/names.js";
import type { CheckExemptions, CpuRequest, SecurityRequest } from "../config/types.js";
import { readClockTicks } from "../procfs/clock.js";
import { countRules } from "../rules/list.js";
import { toBytes } from "../rules/pattern.js";
import { isProblem, optionProblem, type Problem } from "../rules/problem.js";
import type { SecurityCheckName } from "../rules/security-checks.js";
import type { Rule } from "../rules/types.js";
import { type Accounts, readNormalUidRange } from "../system/accounts.js";
import type { MeasureSetup } from "./measure.js";

/** The settings a measurement is prepared from (a check request, or the daemon's configuration). */
export interface SetupRequest {
  readonly procRoot: string;
  readonly cpu?: CpuRequest | undefined;
  readonly security?: SecurityRequest | undefined;
  /** PIDs whose whole subtree is procwatch itself: never counted. */
  readonly excludeRoots: readonly number[];
}

/** What a measurement needs, from a request's settings: users resolved, CLK_TCK known. Shared
 * with the daemon, which measures CPU always (every rule publishes its CPU). A Problem names the
 * flag or setting that cannot be honoured (an unknown user, no CLK_TCK). */
export function prepareSetup(
  req: SetupRequest,
  rules: readonly Rule[],
  interpreters: InterpreterSet,
  accounts: Accounts,
  options: { readonly etcDir?: string | undefined; readonly alwaysMeasureCpu?: boolean } = {},
): MeasureSetup | Problem {
  const etcDir = options.etcDir;
  const runaway = req.cpu?.maxPercent === undefined ? undefined : runawaySettings(req.cpu, req.cpu.maxPercent, accounts, etcDir);
  if (isProblem(runaway)) return runaway;
  const security = req.security === undefined ? undefined : securitySettings(req.security, accounts);
  if (isProblem(security)) return security;
  const needsCpu = options.alwaysMeasureCpu === true || runaway !== undefined || countRules(rules).some((r) => r.cpu !== undefined);
  const needsAge = countRules(rules).some((r) => r.limits?.ageMs !== undefined);
  let clockTicks: number | undefined;
  try {
    clockTicks = needsCpu || needsAge ? req.cpu?.clockTicks ?? readClockTicks() : undefined;
  } catch (err) {
    return settingProblem(`cannot determine CLK_TCK (${(err as Error).message}); give --clock-ticks`);
  }
  return {
    procRoot: req.procRoot,
    interpreters,
    excludeRoots: req.excludeRoots,
    ...(security === undefined || req.security === undefined ? {} : { security: { settings: security, selinuxfs: req.security.selinuxfs } }),
    ...(needsAge && clockTicks !== undefined ? { ageClockTicks: clockTicks } : {}),
    ...(clockTicks === undefined || !needsCpu ? {} : { cpu: { basis: req.cpu?.basis ?? { kind: "window", windowMs: 5000 }, clockTicks, ...(runaway === undefined ? {} : { runaway }) } }),
  };
}

function runawaySettings(cpu: CpuRequest, maxPercent: number, accounts: Accounts, etcDir: string | undefined): RunawaySettings | Problem {
  const exemptUids = new Set<number>();
  for (const user of cpu.exemptUsers) {
    const id = /^\d+$/.test(user) ? Number(user) : accounts.userId(user);
    if (id === undefined) return settingProblem(`--cpu-exempt-user: unknown user "${user}"`);
    exemptUids.add(id);
  }
  const names = [...cpu.exemptNames, ...(cpu.defaultExempt ? DEFAULT_CPU_EXEMPT : [])];
  return {
    maxPercent,
    exemptNames: new Set(names.map(toBytes)),
    exemptUids,
    ...(cpu.includeNormalUsers ? {} : { normalUsers: readNormalUidRange(etcDir) }),
    top: cpu.top,
  };
}

function securitySettings(sec: SecurityRequest, accounts: Accounts): SecuritySettings | Problem {
  const all = exemptions(sec, accounts, "--security-exempt-user");
  if (isProblem(all)) return all;
  const perCheck: Partial<Record<SecurityCheckName, Exemptions>> = {};
  for (const check of sec.checks) {
    const own = sec.perCheck?.[check];
    if (own === undefined) continue;
    const e = exemptions(own, accounts, `security ${check} exempt_users`);
    if (isProblem(e)) return e;
    perCheck[check] = e;
  }
  return {
    checks: sec.checks,
    ...all,
    ...(Object.keys(perCheck).length === 0 ? {} : { perCheck }),
    ...(sec.deletedExeMaxUid === undefined ? {} : { deletedExeMaxUid: sec.deletedExeMaxUid }),
    deletedExeIgnore: [...DEFAULT_DELETED_EXE_IGNORE, ...sec.deletedExeIgnore.map(toBytes)],
  };
}

/** Names as byte strings and users as uids; a Problem names where an unknown user came from. */
function exemptions(e: CheckExemptions, accounts: Accounts, where: string): Exemptions | Problem {
  const exemptUids = new Set<number>();
  for (const user of e.exemptUsers) {
    const id = /^\d+$/.test(user) ? Number(user) : accounts.userId(user);
    if (id === undefined) return settingProblem(`${where}: unknown user "${user}"`);
    exemptUids.add(id);
  }
  return { exemptNames: new Set(e.exemptNames.map(toBytes)), exemptUids };
}

/** A setting from the command line or the configuration that cannot be honoured. */
function settingProblem(reason: string): Problem {
  return optionProblem(reason, "setting");
}
