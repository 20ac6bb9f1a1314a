// What every part of `npm run bench` measures with: the rules and the environment
// variables removed from the measured commands. One copy, so the check and the daemon benches
// time the same work.
import { availableParallelism } from "node:os";

/** The eight rules, with watchdog:1-2 swapped for the herd (`<name>:N-N`, added by each
 * bench) so every tool counts something non-zero and must count it exactly. */
export const RULES: readonly string[] = ["sshd:1-", "cron:1-5", "tor:1-1", "master:1-2", "auditd:1-1", "rsyslogd:1-1", "dbus-daemon:1-"];
export const SWAPPED = "watchdog:1-2";

/** The sandbox sets it; mon's and systemd's environments do not, and loading extra CA
 * certificates adds tens of ms to each Node start-up. The check bench also measures with it set. */
export const UNSET: readonly string[] = ["NODE_EXTRA_CA_CERTS"];

/** CPUs this process may run on (what contention rows load, and what the reports print). */
export function coreCount(): number {
  return availableParallelism();
}
