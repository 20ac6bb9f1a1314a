// A herd of idle processes with one distinctive name (a symlink to sleep, so comm = link name),
// spawned in batches and killed by PID only. Never pkill/killall: other work shares this machine.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync, symlinkSync } from "node:fs";
import { setImmediate as yieldToLoop, setTimeout as sleepMs } from "node:timers/promises";

export interface Herd {
  /** comm of every herd process; ≤ 15 bytes so the kernel keeps it whole. */
  readonly name: string;
  readonly pids: readonly number[];
  /** Spawns more members until the herd has `total`, then waits until /proc shows them all. */
  growTo(total: number): Promise<void>;
  /** SIGKILLs every member by PID. Synchronous and idempotent, so it is safe in 'exit' handlers. */
  killAll(): void;
}

const BATCH = 250;
const SHOW_TIMEOUT_MS = 60_000;
// Outlives any bench run (the daemon part, interleaved rounds and soak included, takes about
// 16 minutes on 2 cores), so the herd never shrinks under a measurement, and even a SIGKILLed
// bench leaves nothing behind for long.
export const SLEEP_SECONDS = "2700";

/** Creates the symlink `<dir>/<name>` → sleep. Nothing is spawned yet. */
export function makeHerd(dir: string, name: string, sleepPath = "/bin/sleep"): Herd {
  const link = `${dir}/${name}`;
  symlinkSync(sleepPath, link);
  const children: ChildProcess[] = [];
  const pids: number[] = [];
  let killed = false;

  const spawnOne = (): void => {
    const child = spawn(link, [SLEEP_SECONDS], { stdio: "ignore", cwd: "/" });
    if (child.pid === undefined) throw new Error(`cannot spawn ${link}`);
    // 'error' after a successful spawn is only a failed kill of an already reaped child.
    child.on("error", () => undefined);
    children.push(child);
    pids.push(child.pid);
  };

  return {
    name,
    pids,
    async growTo(total) {
      while (pids.length < total) {
        const batch = Math.min(BATCH, total - pids.length);
        for (let i = 0; i < batch; i++) spawnOne();
        await waitUntilShown(name, pids.length);
        // Spawning is synchronous and an already-settled await never reaches the event loop:
        // yield, or a SIGINT handler would not run until the whole herd is up.
        await yieldToLoop();
      }
    },
    killAll() {
      if (killed) return;
      killed = true;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch (err) {
          // ESRCH: already gone (e.g. ^C reached the whole process group first).
          if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
        }
      }
    },
  };
}

/** Number of processes whose /proc/PID/comm is exactly `name`. */
export function countNamed(name: string): number {
  const line = `${name}\n`;
  let n = 0;
  for (const entry of readdirSync("/proc")) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "latin1") === line) n++;
    } catch (err) {
      // ENOENT/ESRCH: that process left between readdir and open; it is not one of ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ESRCH") throw err;
    }
  }
  return n;
}

async function waitUntilShown(name: string, expected: number): Promise<void> {
  const deadline = Date.now() + SHOW_TIMEOUT_MS;
  for (;;) {
    const seen = countNamed(name);
    if (seen === expected) return;
    if (seen > expected) throw new Error(`${seen} processes named ${name} in /proc, only ${expected} spawned: the name is not unique`);
    if (Date.now() > deadline) throw new Error(`only ${seen} of ${expected} processes named ${name} appeared in /proc within ${SHOW_TIMEOUT_MS / 1000} s`);
    await sleepMs(50);
  }
}
