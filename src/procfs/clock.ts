// System clock facts for CPU figures: USER_HZ (the unit of utime/stime/starttime in stat) and
// the seconds since boot. Why getconf: Node has no sysconf binding, and USER_HZ must never be
// guessed or taken from CONFIG_HZ (a kernel with CONFIG_HZ=250 still reports 100 ticks/s).
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
