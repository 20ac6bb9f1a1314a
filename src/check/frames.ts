// What bin/check.ts tells the shell lines that supervise it (src/bin/launch.sh), on one pipe, as
// frames the shell's `read` builtin can take apart: a header line "KIND EXIT FD LINES PARTIAL
// [MORE]", then LINES lines of text (and one more without its newline when PARTIAL is 1); MORE
// is a raw frame's length in bytes (the timeout frame's seconds are informative: the shell reads
// --timeout itself and runs its watchdog from its own start). Before the scan: the texts the
// shell prints if the deadline passes, if the check ends without an answer, or if it is asked
// to stop; a check stuck in a /proc read could render none of them then. After: the answer, as
// err and out text and the exit code (a long out text raw, see encodeAnswer).
import type { Formatted } from "../output/format.js";

/** The signals the supervisor answers with a clean failure instead of dying by them. */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

export type FrameKind = "timeout" | "failure" | (typeof STOP_SIGNALS)[number] | "out" | "err" | "raw" | "end";

export function encodeFrame(kind: FrameKind, exitCode: number, text: string, fd: 1 | 2 = 1, seconds?: number): string {
  // A NUL would end the shell's read early; rendered text never has one (output/escape.ts).
  const body = text.replace(/\0/g, "\\x00");
  const lines = body.split("\n").length - 1;
  const partial = body !== "" && !body.endsWith("\n");
  const head = `${kind} ${exitCode} ${fd} ${lines} ${partial ? 1 : 0}${seconds === undefined ? "" : ` ${seconds}`}\n`;
  return head + body + (partial ? "\n" : "");
}

/** A result the supervisor prints instead of the answer: to its stream, with its exit code. */
export function encodeFallback(kind: Exclude<FrameKind, "out" | "err" | "raw" | "end">, result: Formatted, seconds?: number): string {
  return encodeFrame(kind, result.exitCode, result.text, result.stream === "stderr" ? 2 : 1, seconds);
}

/** Beyond this many bytes, stdout text goes raw, copied by head: dash's read takes a byte per
 * system call (~3 µs a byte here), starting head ~5 ms. */
export const RAW_OUT_BYTES = 1024;

/** The answer: what was written to stderr, to stdout, and the exit code. A long stdout text goes
 * as a raw frame: a header with its length in bytes, then the bytes as they are. */
export function encodeAnswer(out: string, err: string, exitCode: number): string {
  const bytes = Buffer.byteLength(out);
  const stdout = out === "" ? "" : bytes > RAW_OUT_BYTES ? `raw 0 1 0 0 ${bytes}\n${out}` : encodeFrame("out", 0, out);
  return (err === "" ? "" : encodeFrame("err", 0, err, 2)) + stdout + encodeFrame("end", exitCode, "");
}
