// A check or an explain run as a command: the shell lines at the top of dist/bin/cli.js
// (src/bin/launch.sh) start this one Node process with the command line (bin/check.ts loads this
// bundle) and supervise it themselves, so a check costs one Node start-up, not two. Everything it would print goes to the
// shell as frames (check/frames.ts), written to stdout, which is the shell's pipe, never the
// caller's: stuck in a /proc read, this process holds none of mon's or Nagios's pipes, and the
// shell answers at the deadline. PROCWATCH_SUPERVISOR is that shell's PID, the root of the
// check's process tree (left out of every count).
// Plain fd writes, not process.stdout: the stream classes cost ~10 ms of start-up.
import { closeSync, writeSync } from "node:fs";
import { encodeAnswer } from "../check/frames.js";
import { inProcessScanChild } from "../check/in-process.js";
import { type CliOutput, runCli } from "../cli/program.js";

const supervisor = Number(process.env.PROCWATCH_SUPERVISOR);
delete process.env.PROCWATCH_SUPERVISOR;

function send(text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length;) off += writeSync(1, bytes, off);
}

let out = "";
let err = "";
let exitCode = 0;
const output: CliOutput = { out: (t) => void (out += t), err: (t) => void (err += t), exit: (c) => void (exitCode = c) };
const roots = Number.isInteger(supervisor) && supervisor > 0 ? [supervisor, process.pid] : [process.pid];
// No run and validate here: the shell lines start this process for check and explain only.
runCli(process.argv, inProcessScanChild(send, roots), undefined, output)
  .catch((e: unknown) => {
    // As Node reports an uncaught error when the CLI runs alone: the stack on stderr, exit 1.
    err += `${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`;
    exitCode = 1;
  })
  .then(() => {
    send(encodeAnswer(out, err, exitCode));
    // End of file tells the shell nothing more is coming; it need not wait for this exit.
    closeSync(1);
    closeSync(2);
  });
