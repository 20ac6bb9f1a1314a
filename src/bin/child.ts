// Entry of the scanner child: reads one request (JSON) from stdin, runs it, and hands
// {text, exitCode} back as JSON on stdout. Started by check/supervise.ts, which can SIGKILL it at the
// deadline; an empty stdin means the CLI needed no scan (help, usage error): exit quietly.
// Plain fd reads and writes, not process.stdin/stdout: the stream classes pull in node:net and
// cost ~10 ms of start-up and teardown in a process that lives for a few tens of milliseconds.
// No top-level await: the shipped bundle is CommonJS (faster start-up than ESM).
import type { CheckRequest } from "../check/request.js";
import { closeSync, readFileSync, writeSync } from "node:fs";
import { runCheck } from "../check/run-check.js";

const input = readFileSync(0, "utf8");
if (input !== "") {
  void runCheck(JSON.parse(input) as CheckRequest).then((result) => {
    const out = Buffer.from(JSON.stringify(result));
    for (let off = 0; off < out.length; ) off += writeSync(1, out, off);
    // EOF tells the CLI the answer is complete; it need not wait for this process to exit.
    closeSync(1);
  });
}
