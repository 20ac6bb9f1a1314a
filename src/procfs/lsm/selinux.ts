// SELinux labels: "user:role:type[:level]", e.g. "system_u:system_r:sshd_t:s0-s0:c0.c1023". The
// domain is the type. The MLS level holds ':' itself, so at most three fields are split off
// (proc-facts §7). Mainline gives SELinux no attr/selinux/ directory: it uses attr/current.
import type { LabelProvider } from "./provider.js";

export interface SelinuxContext {
  readonly user: string;
  readonly role: string;
  readonly type: string;
  /** MLS/MCS level or range, ':' included; "" on policies built without MLS. */
  readonly level: string;
}

/** The parts of an SELinux context, or undefined when the text is not one (AppArmor's
 * "/usr/sbin/ntpd (enforce)", a Smack word). A context holds no spaces. */
export function parseSelinuxContext(label: string): SelinuxContext | undefined {
  if (label.includes(" ")) return undefined;
  const first = label.indexOf(":");
  const second = first < 0 ? -1 : label.indexOf(":", first + 1);
  if (second < 0) return undefined;
  const third = label.indexOf(":", second + 1);
  const user = label.slice(0, first);
  const role = label.slice(first + 1, second);
  const type = third < 0 ? label.slice(second + 1) : label.slice(second + 1, third);
  const level = third < 0 ? "" : label.slice(third + 1);
  if (user === "" || role === "" || type === "") return undefined;
  return { user, role, type, level };
}

export const selinux: LabelProvider = {
  module: "selinux",
  attrFile: "current",
  parse(raw) {
    const context = parseSelinuxContext(raw);
    return context === undefined ? undefined : { domain: context.type };
  },
};
