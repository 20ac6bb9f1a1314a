// The names of the security checks, alone in a module without imports, so the CLI can validate
// --security without loading the evaluators.

export const SECURITY_CHECKS = ["gid0-not-uid0", "deleted-exe", "selinux-init-t", "selinux-initrc-t", "selinux-enforcing"] as const;
export type SecurityCheckName = (typeof SECURITY_CHECKS)[number];
