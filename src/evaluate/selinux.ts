// Pure: an SELinux label "user:role:type[:level]" → its parts. The MLS level holds ':' itself
// ("s0-s0:c0.c1023"), so at most three fields are split off (proc-facts §7). No I/O.

export interface SelinuxContext {
  readonly user: string;
  readonly role: string;
  readonly type: string;
  /** MLS/MCS level or range, ':' included; "" on policies built without MLS. */
  readonly level: string;
}

/**
 * The parts of an SELinux label (trailing NUL already stripped by procfs/label.ts), or undefined
 * when the label is not in SELinux form: AppArmor's "unconfined" or "/usr/sbin/ntpd (enforce)",
 * Smack's single word. A label with spaces is never SELinux (contexts hold none).
 */
export function parseSelinuxLabel(label: string): SelinuxContext | undefined {
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
