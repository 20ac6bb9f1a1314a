#!/usr/bin/env -S node --max-semi-space-size=1 --expose-gc --single-threaded
// The shipped dist/bin/cli.js starts with src/bin/launch.sh instead of this hashbang: run as a
// command, its shell lines run a check or an explain as one Node process they supervise
// themselves (bin/check.ts), or exec Node with the daemon's flags on this file. Those flags: the
// daemon (procwatch run) allocates a fresh generation of process records every scan.
// --max-semi-space-size=1 caps V8's young generation at 1 MB (V8 grows it to tens of MB for that
// pattern); --expose-gc lets the daemon collect fully after a scan once its heap has grown 8 MB
// (src/daemon/collect.ts). Measured at 5,000 extra processes: RSS max 122 MB with neither,
// 109-131 MB with the cap alone, under 90 MB with both (npm run bench). --single-threaded keeps
// V8's garbage collection and compilation on the main thread: the background threads' stacks and
// malloc arenas cost 5-8 MB of RSS, while CPU per scan stayed the same within the noise (side by
// side at 1,000 and 5,000 extra processes); the bench's /metrics latency row covers the longer
// pause of a collection on one thread. None of these can be set once V8 runs.
// Entry point. For a check or an explain, starts the scanner child first, then loads the CLI
// (commander and friends) while the scanner boots on the other core.
// No top-level await: the shipped bundle is CommonJS, which starts ~9 ms faster than ESM.
// program.js is a separate bundle (kept external) so this file stays small to parse.
import { fileURLToPath } from "node:url";
import { startScanChild } from "../check/supervise.js";
import type * as Program from "./program.js";

const command = process.argv[2];
const needsScan = (command === "check" || command === "explain") && !process.argv.includes("--help") && !process.argv.includes("-h")
  && !process.argv.some((a) => a === "--from" || a.startsWith("--from="));
// The scanner child's bundle sits beside this one, wherever the bundles were installed or copied.
const scanChild = !needsScan
  ? { run: () => Promise.reject(new Error("bug: no scanner started")), cancel: () => undefined }
  : startScanChild(fileURLToPath(new URL("./child.js", import.meta.url)));

// In the CommonJS bundle require() loads program.js in ~9 ms; import() of the same file goes
// through the ESM loader and took ~35 ms. tsc's ESM output (dist/src) has no require: import().
const program: Promise<typeof Program> = typeof require === "function"
  ? new Promise((resolve) => resolve(require("./program.js") as typeof Program))
  : import("./program.js");
program.then(({ runCli }) => runCli(process.argv, scanChild), (err: unknown) => {
  // Out of file descriptors (ulimit -n) or memory before the CLI could load: still a mon failure
  // or a Nagios UNKNOWN with the reason, never a stack trace. Only the errno is known here.
  scanChild.cancel();
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== "string") throw err;
  const reason = `cannot load procwatch: ${code}${code === "EMFILE" ? ", too many open files in this process (raise ulimit -n)" : ""}`;
  const format = process.argv.reduce<string | undefined>((f, a, i) => (a.startsWith("--format=") ? a.slice(9) : process.argv[i - 1] === "--format" ? a : f), undefined);
  if (format === "nagios") process.stdout.write(`PROCS UNKNOWN: ${reason}\n`);
  else if (format === "json") process.stdout.write(`${JSON.stringify({ ok: false, error: `procwatch: ${reason}` })}\n`);
  else process.stdout.write(`procwatch: ${reason}\n`);
  process.exitCode = format === "nagios" ? 3 : 1;
});
