// What the daemon benchmark reads about another process from /proc: CPU time and resident memory.
// Read-only; parses only the two fields it needs. Not for src/: the daemon has its own procfs layer.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ from `getconf CLK_TCK` (proc-facts.md §5: never assume 100, never CONFIG_HZ). */
export function readClockTicks(): number {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK gave ${JSON.stringify(r.stdout)}: cannot convert CPU ticks`);
  return ticks;
}

/** utime + stime of every thread of `pid`, in clock ticks (/proc/PID/stat fields 14 and 15). */
export function readCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // comm may contain spaces and ')': fields start after the LAST ')' (proc(5)); field 3 is [0].
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`/proc/${pid}/stat: no utime/stime in ${JSON.stringify(stat)}`);
  return utime + stime;
}

export interface Memory {
  /** VmRSS of /proc/PID/status, in kB. */
  readonly rssKb: number;
  /** VmHWM (peak RSS) of /proc/PID/status, in kB. */
  readonly hwmKb: number;
}

export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(status);
    if (m === null) throw new Error(`/proc/${pid}/status has no ${key} line`);
    return Number(m[1]);
  };
  return { rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
}

/** Number of PID directories in /proc: the size of the process table every tool walks. */
export function countProcesses(): number {
  let n = 0;
  for (const entry of readdirSync("/proc")) {
    const c = entry.charCodeAt(0);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
