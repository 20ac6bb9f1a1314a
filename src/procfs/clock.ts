// System clock facts for CPU figures: USER_HZ (the unit of utime/stime/starttime in stat), the
// seconds since boot and the boot time. Why getconf: Node has no sysconf binding, and USER_HZ must
// never be guessed or taken from CONFIG_HZ (a kernel with CONFIG_HZ=250 still reports 100 ticks/s).
import { createRequire } from "node:module";
import { ProcParseError } from "./errors.js";
import { isFailure, readBytes } from "./read.js";

/** sysconf(_SC_CLK_TCK), asked once through getconf(1). Throws when it cannot be known. */
export function readClockTicks(): number {
  // Loaded only when CPU figures are asked for: node:child_process costs start-up time.
  const { execFileSync } = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
  const out = execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] });
  const hz = Number(out.trim());
  if (!Number.isSafeInteger(hz) || hz <= 0) throw new Error(`getconf CLK_TCK answered "${out.trim()}"`);
  return hz;
}

/** Pure: /proc/uptime text ("12345.67 23456.78\n") → seconds since boot. */
export function parseUptime(text: string, path = "uptime"): number {
  const first = text.split(" ")[0] ?? "";
  const seconds = Number(first);
  if (first === "" || !Number.isFinite(seconds) || seconds < 0) throw new ProcParseError(path, text, "uptime is not a number of seconds");
  return seconds;
}

/** Seconds since boot from <root>/uptime; undefined when absent (subset=pid hides it) or odd:
 * then no figure that needs it is given, rather than one built on a guess. */
export function readUptime(procRoot: string): number | undefined {
  const r = readBytes(`${procRoot}/uptime`, 256);
  if (isFailure(r)) return undefined;
  try {
    return parseUptime(r.text, `${procRoot}/uptime`);
  } catch (err) {
    if (err instanceof ProcParseError) return undefined;
    throw err;
  }
}

/** Pure: /proc/stat text → the "btime" line: boot time in seconds since the epoch (proc(5)). */
export function parseBootTime(text: string, path = "stat"): number {
  const line = text.split("\n").find((l) => l.startsWith("btime "));
  const seconds = Number(line?.slice("btime ".length).trim() ?? "");
  if (line === undefined || !Number.isSafeInteger(seconds) || seconds <= 0) throw new ProcParseError(path, line ?? "", "no btime line with a number of seconds");
  return seconds;
}

/**
 * Boot time from <root>/stat's btime, ms since the epoch; undefined when absent or odd. Read it
 * once and keep it: now − uptime moves by the scan's own latency every time it is computed, so a
 * start time built on it (process.creation.time) would differ from scan to scan for one process.
 * btime is whole seconds, fixed for the life of the system (unless the wall clock is stepped).
 */
export function readBootTimeMs(procRoot: string): number | undefined {
  // btime follows a line per CPU and the intr line: the whole shared buffer, not a small cap.
  const r = readBytes(`${procRoot}/stat`);
  if (isFailure(r)) return undefined;
  try {
    return parseBootTime(r.text, `${procRoot}/stat`) * 1000;
  } catch (err) {
    if (err instanceof ProcParseError) return undefined;
    throw err;
  }
}
