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

export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; timeoutMs?: number } = {}): Promise<CliResult> {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...baseEnv } = process.env;
  const cli = options.uid === undefined ? CLI : cliForAnyUser();
  const child = spawn(process.execPath, [cli, ...args], {
    env: options.env ?? baseEnv,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`procwatch ${args.join(" ")} did not finish in ${options.timeoutMs ?? 30000} ms`));
    }, options.timeoutMs ?? 30_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code, signal });
    });
  });
}
