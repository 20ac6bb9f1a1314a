// AppArmor labels (security/apparmor/procattr.c): "PROFILE (MODE)", e.g. "/usr/sbin/ntpd
// (enforce)", or "unconfined" without a mode; stacked profiles read "a//&b (enforce)". The domain
// is the profile name without the mode ("unconfined" for unconfined tasks). Per-module file
// attr/apparmor/current since Linux 5.1.
import type { LabelProvider } from "./provider.js";

/** A mode word: enforce, complain, kill, unconfined, user, mixed (a stack of several) so far
 * (aa_profile_mode_names); any lower-case word, so a mode added later still parses. */
const MODE = /^[a-z_]+$/;

export const apparmor: LabelProvider = {
  module: "apparmor",
  attrFile: "apparmor/current",
  parse(raw) {
    if (raw === "unconfined") return { domain: raw };
    // The mode is the last " (...)": a profile name may itself hold spaces and parentheses.
    const open = raw.lastIndexOf(" (");
    if (open <= 0 || !raw.endsWith(")")) return undefined;
    if (!MODE.test(raw.slice(open + 2, -1))) return undefined;
    return { domain: raw.slice(0, open) };
  },
};
