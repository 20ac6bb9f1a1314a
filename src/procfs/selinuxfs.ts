// Reads <selinuxfs>/enforce (default /sys/fs/selinux): whether SELinux enforces its policy.
// Classifies the errno here; decides nothing (evaluate/security.ts does).
import { describeRefusal, isRefusal, readRegularFile } from "./regular-file.js";

export const DEFAULT_SELINUXFS = "/sys/fs/selinux";

export type EnforceReading =
  /** The file read "1" (enforcing) or "0" (permissive). */
  | { readonly kind: "value"; readonly enforcing: boolean }
  /** No such file: selinuxfs is not mounted there, so SELinux is not active (ENOENT). */
  | { readonly kind: "absent"; readonly path: string }
  /** Unreadable (EACCES...) or not "0"/"1": the state is unknown. */
  | { readonly kind: "unknown"; readonly path: string; readonly why: string };

export function readSelinuxEnforce(selinuxfs: string): EnforceReading {
  const path = `${selinuxfs}/enforce`;
  // A regular file in selinuxfs (size 0, content "%d"); bounded and never blocking, since
  // --selinuxfs may name any directory.
  const r = readRegularFile(path, 64);
  if (isRefusal(r)) {
    if (r.kind === "unreadable") return r.code === "ENOENT" || r.code === "ENOTDIR" ? { kind: "absent", path } : { kind: "unknown", path, why: r.code };
    return { kind: "unknown", path, why: describeRefusal(r) };
  }
  // The kernel writes "%d" without a newline (security/selinux/selinuxfs.c); a hand-made file may add one.
  const text = r.toString("latin1").replace(/\n$/, "");
  if (text === "1" || text === "0") return { kind: "value", enforcing: text === "1" };
  return { kind: "unknown", path, why: `unexpected content "${text.slice(0, 20)}"` };
}
