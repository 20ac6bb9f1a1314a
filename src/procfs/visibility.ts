// Reads whether this reader can see every process under the proc root: with hidepid=2
// ("invisible") other users' PIDs are not even listed, so a count of 0 proves nothing.
// The mount options come from the LAST matching entry of /proc/self/mountinfo (mounts stack).
import { readFileSync, realpathSync } from "node:fs";
import type { Visibility } from "./types.js";

const CAP_SYS_PTRACE = 19;

export function readVisibility(procRoot: string): Visibility {
  let mountinfo: string;
  let target: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "latin1");
    target = realpathSync(procRoot);
  } catch {
    // No mountinfo (not Linux, or a fixture on a stripped system): nothing is known to be hidden.
    return { kind: "full" };
  }
  const options = findProcMountOptions(mountinfo, target);
  if (options === undefined) return { kind: "full" };
  return decideVisibility(options, {
    euid: process.geteuid?.() ?? -1,
    groups: process.getgroups?.() ?? [],
    hasPtrace: hasCapability(CAP_SYS_PTRACE),
  });
}

/** Super options ("rw,hidepid=invisible,gid=4") of the last proc mount at `mountPoint`. */
export function findProcMountOptions(mountinfo: string, mountPoint: string): string | undefined {
  const escaped = escapeMountPath(mountPoint);
  let found: string | undefined;
  for (const line of mountinfo.split("\n")) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 0 || fields[4] !== escaped) continue;
    // A later mount of another type over the same point hides the proc mount beneath it.
    found = fields[dash + 1] === "proc" ? (fields[dash + 3] ?? "") : undefined;
  }
  return found;
}

/** The kernel writes space, tab, newline and backslash in mountinfo paths as octal escapes
 * (fs/proc_namespace.c, mangle()). */
function escapeMountPath(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

export function decideVisibility(
  superOptions: string,
  who: { euid: number; groups: readonly number[]; hasPtrace: boolean },
): Visibility {
  const opts = new Map(superOptions.split(",").map((o) => {
    const eq = o.indexOf("=");
    return eq < 0 ? [o, ""] : [o.slice(0, eq), o.slice(eq + 1)];
  }));
  const hidepid = opts.get("hidepid");
  // Kernels >= 5.8 show the names (off, noaccess, invisible, ptraceable); older ones the numbers.
  // noaccess (1) still lists every PID (their files read EACCES: counted as unreadable instead).
  // ptraceable (4) hides what we may not ptrace, and gid= does not lift it (fs/proc/base.c,
  // has_pid_permissions()); only CAP_SYS_PTRACE does.
  const isPtraceable = hidepid === "4" || hidepid === "ptraceable";
  if (hidepid !== "2" && hidepid !== "invisible" && !isPtraceable) return { kind: "full" };
  const gid = opts.get("gid");
  if (who.hasPtrace || (!isPtraceable && gid !== undefined && who.groups.includes(Number(gid)))) return { kind: "full" };
  const what = isPtraceable ? "processes this reader may not ptrace are" : "other users' processes are";
  return { kind: "hidden", reason: `proc is mounted hidepid=${hidepid}: ${what} invisible` };
}

function hasCapability(bit: number): boolean {
  try {
    const status = readFileSync("/proc/self/status", "latin1");
    const m = /\nCapEff:\s*([0-9a-f]+)/.exec(status);
    return m?.[1] !== undefined && (BigInt(`0x${m[1]}`) & (1n << BigInt(bit))) !== 0n;
  } catch {
    // Without our own status we cannot prove the capability; assume it is absent (the safe side).
    return false;
  }
}
