// Pure: what the security labels of a process say to rules and checks: which module's label,
// whether no module is active at all (then label rules and SELinux checks do not apply), and
// how labels read in a reason. No I/O.
import type { ProcessRecord, SecurityLabel } from "../procfs/types.js";

/**
 * Errno codes of an unread label that mean "no security module labels processes here", not "we
 * may not look": EINVAL from attr/current with no module active (proc-facts §7), ENOENT where the
 * kernel has no attr/ files at all (built without CONFIG_SECURITY), EOPNOTSUPP likewise.
 */
const NO_MODULE_CODES = new Set(["EINVAL", "ENOENT", "EOPNOTSUPP"]);

export const NO_SECURITY_MODULE = "no security module active";

/** The label is unknown because no module is active: a fact of the host, not of the process. */
export function hasNoSecurityModule(rec: ProcessRecord): boolean {
  const code = rec.unknownWhy?.label;
  return rec.labels === undefined && code !== undefined && NO_MODULE_CODES.has(code);
}

/** Why the labels of `rec` are unknown, for a rule's undecided line: "label= not applicable (no
 * security module active)", worded like the SELinux checks' note. */
export function labelUnknownWhy(rec: ProcessRecord, key: "label" | "domain"): string {
  if (hasNoSecurityModule(rec)) return `${key}= not applicable (${NO_SECURITY_MODULE})`;
  return `label unreadable (${rec.unknownWhy?.label ?? "unknown"})`;
}

/** The SELinux label of a process, if it has one. */
export function selinuxLabel(rec: ProcessRecord): SecurityLabel | undefined {
  return rec.labels?.find((l) => l.module === "selinux");
}

/** "system_u:system_r:sshd_t:s0" for one label; "a (apparmor), b (smack)" for stacked ones;
 * "none" for an empty read. Byte strings: the caller escapes. */
export function describeLabels(labels: readonly SecurityLabel[]): string {
  if (labels.length === 0) return "none";
  if (labels.length === 1) return (labels[0] as SecurityLabel).raw;
  return labels.map((l) => `${l.raw} (${l.module})`).join(", ");
}
