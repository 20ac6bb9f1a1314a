// Checks that kernel, rlimit and cgroup limits leave room for the bench's extra processes.
// Reads limits only; never raises any of them. Throws a CapacityError saying which limit is short.
import { readFileSync, readdirSync } from "node:fs";

export class CapacityError extends Error {
  override name = "CapacityError";
}

/** Threads now running on the host (each one holds a PID, so pid_max counts them too). */
function countThreads(): number {
  let threads = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      // field 20 (num_threads), counted after the LAST ')' (comm may hold ')')
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads += Number(rest[17] ?? 1);
    } catch (err) {
      // ENOENT/ESRCH: the process left between readdir and open; it holds no PID any more.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" && (err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }
  return threads;
}

function readNumber(path: string): number | undefined {
  try {
    const text = readFileSync(path, "latin1").trim();
    return text === "max" ? Infinity : Number(text);
  } catch (err) {
    // A missing limit file means that limit does not apply here (no such cgroup controller).
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** pids.max / pids.current of this process's pids cgroup (v1 or v2), when there is one. */
function pidsCgroup(): { path: string; max: number; current: number } | undefined {
  const lines = readFileSync("/proc/self/cgroup", "latin1").split("\n");
  const candidates: string[] = [];
  for (const line of lines) {
    const [, controllers, path] = line.split(":");
    if (path === undefined || controllers === undefined) continue;
    if (controllers.split(",").includes("pids")) candidates.push(`/sys/fs/cgroup/pids${path}`);
    if (controllers === "") candidates.push(`/sys/fs/cgroup${path}`);
  }
  for (const dir of candidates) {
    const max = readNumber(`${dir}/pids.max`);
    const current = readNumber(`${dir}/pids.current`);
    if (max !== undefined && current !== undefined) return { path: `${dir}/pids.max`, max, current };
  }
  return undefined;
}

/** Throws unless `extra` more single-threaded processes (plus `margin` for the tools under test) fit. */
export function checkCapacity(extra: number, margin: number): string {
  const need = extra + margin;
  const threads = countThreads();
  const pidMax = readNumber("/proc/sys/kernel/pid_max") ?? Infinity;
  const threadsMax = readNumber("/proc/sys/kernel/threads-max") ?? Infinity;
  const short: string[] = [];
  // PIDs 1..300 are reserved for the kernel's first threads once the counter wraps (kernel/pid.c).
  if (threads + need > pidMax - 300) short.push(`/proc/sys/kernel/pid_max is ${pidMax}, ${threads} threads run now, ${need} more needed`);
  if (threads + need > threadsMax) short.push(`/proc/sys/kernel/threads-max is ${threadsMax}, ${threads} threads run now, ${need} more needed`);
  const cg = pidsCgroup();
  if (cg !== undefined && cg.current + need > cg.max) short.push(`${cg.path} is ${cg.max}, ${cg.current} in use, ${need} more needed`);
  // RLIMIT_NPROC counts this user's threads; root (CAP_SYS_RESOURCE/CAP_SYS_ADMIN) is exempt.
  if (process.getuid?.() !== 0) {
    const limits = readFileSync("/proc/self/limits", "latin1");
    const soft = /^Max processes\s+(\S+)/m.exec(limits)?.[1];
    const nproc = soft === undefined || soft === "unlimited" ? Infinity : Number(soft);
    if (threads + need > nproc) short.push(`RLIMIT_NPROC (ulimit -u) is ${nproc}; up to ${threads} threads of this user run now, ${need} more needed`);
  }
  if (short.length > 0) {
    throw new CapacityError(`cannot fit ${extra} extra processes (the bench raises no limit):\n  ${short.join("\n  ")}`);
  }
  return `pid_max ${pidMax}, threads-max ${threadsMax}${cg === undefined ? "" : `, pids cgroup max ${cg.max === Infinity ? "max" : cg.max}`}; ${threads} threads running before the bench`;
}
