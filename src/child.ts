// Entry of the scanner child: reads one request (JSON) from stdin, runs it, and hands
// {text, exitCode} back as JSON on stdout. Started by supervise.ts, which can SIGKILL it at the
// deadline; an empty stdin means the CLI needed no scan (help, usage error): exit quietly.
// No top-level await: the shipped bundle is CommonJS (faster start-up than ESM).
import { type CheckRequest, runCheck } from "./check.js";

const chunks: Buffer[] = [];
process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  if (input === "") return;
  void runCheck(JSON.parse(input) as CheckRequest).then((result) => process.stdout.write(JSON.stringify(result)));
});
