// What a security-module label provider is: the module's name, its per-module attr file, and a
// pure parser of its label format. One file per module beside this one; registry.ts lists them.
// Providers do no I/O (read.ts reads the files) and know nothing about rules.

/** What a provider makes of a label's text: the domain, when the module has domains. */
export interface ParsedLabel {
  readonly domain?: string;
}

export interface LabelProvider {
  /** The module's name as /sys/kernel/security/lsm lists it ("selinux", "apparmor"...). */
  readonly module: string;
  /** Its own file under /proc/PID/attr/ on kernels with stacked modules ("apparmor/current"),
   * or "current" for a module that has only the shared file (SELinux). */
  readonly attrFile: string;
  /** The label's parts, or undefined when `raw` (terminator already removed) is not in this
   * module's format. Used both to parse the module's own file and to recognise whose label a
   * shared attr/current holds, so it must be strict enough not to claim another module's. */
  parse(raw: string): ParsedLabel | undefined;
}

/**
 * Removes the terminator: SELinux ends the label with a NUL, AppArmor with a newline, Smack with
 * neither (security/selinux/hooks.c, security/apparmor/procattr.c, security/smack/smack_lsm.c).
 * Neither byte can be part of a label, so every trailing one goes, whatever the module.
 */
export function trimLabel(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === "\0" || text[end - 1] === "\n")) end--;
  return text.slice(0, end);
}
