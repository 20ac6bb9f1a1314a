// Pure: /proc/PID/limits text → the soft limit on open files (RLIMIT_NOFILE), the one resource
// limit procwatch judges. Columns are fixed-width text (proc(5)); the row is found by its name.
import { ProcParseError } from "./errors.js";

/** The soft "Max open files" limit; undefined when it is "unlimited". */
export function parseOpenFilesLimit(text: string, path = "limits"): number | undefined {
  const start = text.indexOf("\nMax open files ");
  if (start < 0) throw new ProcParseError(path, text.slice(0, 40), "no 'Max open files' row");
  const end = text.indexOf("\n", start + 1);
  const fields = text.slice(start + "\nMax open files ".length, end < 0 ? undefined : end).trim().split(/\s+/);
  const soft = fields[0] ?? "";
  if (soft === "unlimited") return undefined;
  const n = Number(soft);
  if (!/^\d+$/.test(soft) || !Number.isSafeInteger(n)) throw new ProcParseError(path, soft, "soft limit is not a number");
  return n;
}
