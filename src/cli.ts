#!/usr/bin/env node
// Entry point. Starts the scanner child first, then loads the CLI (commander and friends) while
// the child boots on the other core: the two Node start-ups overlap instead of adding up.
// No top-level await: the shipped bundle is CommonJS, which starts ~9 ms faster than ESM.
import { startScanner } from "./supervise.js";

const command = process.argv[2];
const needsScan = (command === "check" || command === "explain") && !process.argv.includes("--help") && !process.argv.includes("-h");
const scanner = needsScan ? startScanner() : { run: () => Promise.reject(new Error("bug: no scanner started")), cancel: () => undefined };
void import("./program.js").then(({ runCli }) => runCli(process.argv, scanner));
