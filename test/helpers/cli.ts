// Runs the shipped procwatch (the bundled dist/bin/cli.js) as a child, like mon or Nagios would.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { publicCopy } from "./public-copy.js";

export const CLI = fileURLToPath(new URL("../../bin/cli.js", import.meta.url));

/** The shipped bundle, loadable by any user (see public-copy.ts). */
export function cliForAnyUser(): string {
  return join(publicCopy(dirname(CLI)), "cli.js");
}

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  /** SIGKILL and reject after this long; every wait in a test is bounded. */
  readonly timeoutMs?: number;
  readonly encoding?: "utf8" | "latin1";
  /** Put stderr into stdout in arrival order, as mon and a terminal see it. */
  readonly mergeStderr?: boolean;
}

/** Runs any command with stdin /dev/null and collects its output, within a deadline. */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...baseEnv } = process.env;
  const child = spawn(file, args, {
    env: options.env ?? baseEnv,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => (options.mergeStderr === true ? out : err).push(c));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const encoding = options.encoding ?? "utf8";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} ${args.join(" ")} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(encoding), stderr: Buffer.concat(err).toString(encoding), code, signal });
    });
  });
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const cli = options.uid === undefined ? CLI : cliForAnyUser();
  return runCommand(process.execPath, [cli, ...args], options);
}
