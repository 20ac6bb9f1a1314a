#!/usr/bin/env -S node --max-semi-space-size=1
// The shebang caps V8's young generation (semi-space) at 1 MB: the daemon allocates a fresh set
// of records every scan, and V8 grows the young generation to 32 MB for that, which doubled its
// RSS (measured 103 → ~55 MB at 5,000 processes). It cannot be set once V8 runs (v8.setFlags-
// FromString is too late), and the check's scanner child is a process of its own, unaffected.
// Entry point. Starts the scanner child first, then loads the CLI (commander and friends) while
// the child boots on the other core: the two Node start-ups overlap instead of adding up.
// No top-level await: the shipped bundle is CommonJS, which starts ~9 ms faster than ESM.
// program.js is a separate bundle (kept external) so this file stays small to parse.
import { startScanner } from "./supervise.js";
import type * as Program from "./program.js";

const command = process.argv[2];
const needsScan = (command === "check" || command === "explain") && !process.argv.includes("--help") && !process.argv.includes("-h")
  && !process.argv.some((a) => a === "--from" || a.startsWith("--from="));
const scanner = needsScan ? startScanner() : { run: () => Promise.reject(new Error("bug: no scanner started")), cancel: () => undefined };

// In the CommonJS bundle require() loads program.js in ~9 ms; import() of the same file goes
// through the ESM loader and took ~35 ms. tsc's ESM output (dist/src) has no require: import().
const program: Promise<typeof Program> = typeof require === "function" ? Promise.resolve(require("./program.js") as typeof Program) : import("./program.js");
void program.then(({ runCli }) => runCli(process.argv, scanner));
