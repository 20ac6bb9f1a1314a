// Commander wiring of the security check flags (--security and its exemptions): flags → the
// request's security settings. Users are resolved in the scanner, like rules and --cpu-exempt-user.
import type { SecurityRequest } from "../config/types.js";
import { optionProblem, type Problem } from "../rules/problem.js";
import { type Command, InvalidArgumentError } from "commander";
import { SECURITY_CHECKS, type SecurityCheckName } from "../rules/security-checks.js";
import { DEFAULT_SELINUXFS } from "../procfs/selinuxfs.js";

export interface SecurityFlags {
  security?: SecurityCheckName[];
  securityExempt: string[];
  securityExemptUser: string[];
  deletedExeMaxUid?: number;
  deletedExeIgnore: string[];
  selinuxfs?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** "all" or a comma list of check names; repeated flags add up. Kept in SECURITY_CHECKS order. */
const checkListArg = (value: string, previous: SecurityCheckName[] | undefined): SecurityCheckName[] => {
  const asked = new Set<string>(previous ?? []);
  for (const name of value.split(",")) {
    if (name === "all") SECURITY_CHECKS.forEach((c) => asked.add(c));
    else if ((SECURITY_CHECKS as readonly string[]).includes(name)) asked.add(name);
    else throw new InvalidArgumentError(`--security: unknown check "${name}" (known: ${SECURITY_CHECKS.join(", ")}, all)`);
  }
  return SECURITY_CHECKS.filter((c) => asked.has(c));
};

export function withSecurityOptions(cmd: Command): Command {
  return cmd
    .option("--security <list>", `security checks, comma-separated, or all: ${SECURITY_CHECKS.join(", ")}`, checkListArg)
    .option("--security-exempt <name>", "security checks never report this process name (repeatable)", collect, [])
    .option("--security-exempt-user <user>", "security checks never report this (real) user's processes (repeatable)", collect, [])
    .option("--deleted-exe-max-uid <uid>", "deleted-exe reports only processes whose real uid is at most UID (e.g. 999: system users)", (v: string) => {
      if (!/^\d{1,10}$/.test(v) || Number(v) > 4_294_967_294) throw new InvalidArgumentError(`--deleted-exe-max-uid: "${v}" is not a uid`);
      return Number(v);
    })
    .option("--deleted-exe-ignore <prefix>", "deleted-exe ignores executables whose path starts with PREFIX, e.g. /tmp/ (repeatable; /memfd: always)", collect, [])
    .option("--selinuxfs <dir>", `where selinuxfs is mounted (selinux-enforcing reads DIR/enforce; default ${DEFAULT_SELINUXFS})`);
}

/** The security part of a request (absent without --security), or the problem naming the flag. */
export function securityRequest(flags: SecurityFlags): SecurityRequest | undefined | Problem {
  if (flags.security === undefined) {
    const stray = [
      flags.securityExempt.length > 0 ? "--security-exempt" : "",
      flags.securityExemptUser.length > 0 ? "--security-exempt-user" : "",
      flags.deletedExeMaxUid !== undefined ? "--deleted-exe-max-uid" : "",
      flags.deletedExeIgnore.length > 0 ? "--deleted-exe-ignore" : "",
      flags.selinuxfs !== undefined ? "--selinuxfs" : "",
    ].find((f) => f !== "");
    return stray === undefined ? undefined : optionProblem(`${stray} needs --security`);
  }
  return {
    checks: flags.security,
    exemptNames: flags.securityExempt,
    exemptUsers: flags.securityExemptUser,
    ...(flags.deletedExeMaxUid === undefined ? {} : { deletedExeMaxUid: flags.deletedExeMaxUid }),
    deletedExeIgnore: flags.deletedExeIgnore,
    selinuxfs: flags.selinuxfs ?? DEFAULT_SELINUXFS,
  };
}
