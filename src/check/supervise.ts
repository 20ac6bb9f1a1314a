// Runs checks in a child process ("the scanner") and ends it at the deadline. Why a child: a read
// of /proc/PID/cmdline can block forever (D state, mm lock); a read stuck in this process would
// keep even process.exit() from returning, while a child can always be SIGKILLed. The parent reads
// no /proc file, so it always ends with a normal exit (mon counts death by a signal as success).
// Run as `node cli.js` (or where the shell lines of dist/bin/cli.js cannot supervise a check
// themselves, see src/bin/launch.sh), the CLI spawns it before parsing its flags, and it waits for
// its request on stdin. Imports only node builtins (and the list of stop signals), to start fast.
import type { CheckRequest } from "./request.js";
import { type ChildProcess, spawn } from "node:child_process";
import type { Formatted } from "../output/format.js";
import { STOP_SIGNALS } from "./frames.js";

const STDERR_CAP = 4096;

export interface Supervision {
  readonly timeoutMs: number;
  /** The result to report when the deadline passes. */
  readonly onTimeout: () => Formatted;
  /** The result to report when the child fails (a bug): first line of its error. */
  readonly onFailure: (reason: string) => Formatted;
  /** The result to report when the child cannot be started (EMFILE, ENFILE, ENOMEM, EAGAIN):
   * the host is out of a resource, not procwatch broken. */
  readonly onUnavailable: (reason: string) => Formatted;
  /** The result to report when this process is asked to stop. */
  readonly onSignal: (signal: NodeJS.Signals) => Formatted;
}

export interface ScanChild {
  /** Sends one request; resolves with the child's result, or the supervision's fallbacks. */
  run(request: Omit<CheckRequest, "excludeRoots">, how: Supervision): Promise<Formatted>;
  /** Ends the child if no request was sent (help, usage errors). Safe to call twice. */
  cancel(): void;
}

/** `child` is the scanner's entry (bin/child.js beside the entry that starts it). */
export function startScanChild(child: string): ScanChild {
  const env = { ...process.env };
  // Loading extra CA certificates costs ~50 ms of start-up and the scan opens no TLS connection.
  delete env.NODE_EXTRA_CA_CERTS;
  let proc: ChildProcess;
  try {
    // The flag value is spelled out, not imported from rules/pattern.ts: this file must stay free
    // of everything but node builtins so the CLI starts the child as early as it can.
    proc = spawn(process.execPath, ["--enable-experimental-regexp-engine", child], { stdio: ["pipe", "pipe", "pipe"], env });
  } catch (err) {
    // Node throws for errnos it does not expect from spawn (ENOMEM from fork, among others).
    return unstartedScanChild(Promise.resolve(describeSpawnError(err)));
  }
  // Typed non-null with stdio "pipe", but undefined when Node gave up before making the pipes.
  const stdin = proc.stdin as ChildProcess["stdin"] | undefined;
  if (stdin === null || stdin === undefined || proc.stdout === null || proc.stdout === undefined) {
    // EMFILE/ENFILE: Node gives up before making the pipes and reports the errno by an 'error'
    // event on the next tick (lib/internal/child_process.js), so there is nothing to write to.
    return unstartedScanChild(new Promise((resolve) => proc.once("error", (err) => resolve(describeSpawnError(err)))));
  }
  // A broken pipe to a child that already died is reported through 'close', not here.
  stdin.on("error", () => undefined);
  let used = false;
  return {
    run(request, how) {
      used = true;
      const full: CheckRequest = { ...request, excludeRoots: [process.pid] };
      stdin.end(JSON.stringify(full));
      return awaitResult(proc, how);
    },
    cancel() {
      if (used) return;
      used = true;
      stdin.destroy();
      proc.kill("SIGKILL");
      proc.unref();
    },
  };
}

/** A scanner child that never started: every run reports why, as the supervision says. */
function unstartedScanChild(why: Promise<string>): ScanChild {
  return {
    run: async (_request, how) => how.onUnavailable(await why),
    cancel: () => undefined,
  };
}

const SPAWN_ERRNO_MEANING: Readonly<Record<string, string>> = {
  EMFILE: "too many open files in this process (raise ulimit -n)",
  ENFILE: "too many open files on this host (fs.file-max)",
  ENOMEM: "out of memory",
  EAGAIN: "too many processes (ulimit -u) or out of memory",
};

/** "cannot start the scanner: EMFILE, too many open files ...", from the errno, never the stack. */
export function describeSpawnError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return `cannot start the scanner: ${err instanceof Error ? err.message : String(err)}`;
  const meaning = SPAWN_ERRNO_MEANING[code];
  return `cannot start the scanner: ${code}${meaning === undefined ? "" : `, ${meaning}`}`;
}

function parseAnswer(chunks: readonly Buffer[]): Formatted | undefined {
  try {
    const result = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Formatted;
    if (typeof result.text === "string" && typeof result.exitCode === "number") return result;
  } catch {
    // an unreadable answer is no answer; the caller reports the scanner's failure
  }
  return undefined;
}

function awaitResult(child: ChildProcess, how: Supervision): Promise<Formatted> {
  const answer = child.stdout as NonNullable<ChildProcess["stdout"]>;
  const errors = child.stderr as NonNullable<ChildProcess["stderr"]>;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let err = "";
    let settled = false;
    const settle = (result: Formatted, kill: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
      if (kill) {
        // A child stuck in an uninterruptible read may outlive us; do not wait for it.
        child.kill("SIGKILL");
        answer.destroy();
        errors.destroy();
        child.unref();
      }
      resolve(result);
    };
    const failed = (ending: string): void => {
      const first = err.split("\n").find((l) => /Error|error/.test(l)) ?? err.split("\n")[0] ?? "";
      settle(how.onFailure(`scanner ${ending}${first === "" ? "" : `: ${first.trim()}`}`), false);
    };
    const timer = setTimeout(() => settle(how.onTimeout(), true), how.timeoutMs);
    const onSignal = (signal: NodeJS.Signals): void => settle(how.onSignal(signal), true);
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    answer.on("data", (chunk: Buffer) => out.push(chunk));
    errors.on("data", (chunk: Buffer) => {
      if (err.length < STDERR_CAP) err += chunk.toString("utf8");
    });
    child.on("error", (e) => settle(how.onUnavailable(describeSpawnError(e)), false));
    // The scanner closes its stdout once the answer is written: take the answer then, without
    // waiting for its exit (Node's teardown, a few ms on every check's critical path). A read
    // error on the pipe ends it the same way: the answer is complete or missing (then its
    // exit says why).
    const answered = (): void => {
      const result = parseAnswer(out);
      if (result === undefined) return;
      settle(result, false);
      errors.destroy();
      child.unref();
    };
    answer.on("end", answered);
    answer.on("error", answered);
    child.on("close", (code, signal) => {
      const result = code === 0 ? parseAnswer(out) : undefined;
      if (result !== undefined) return settle(result, false);
      failed(signal === null ? `exited with ${code}` : `killed by ${signal}`);
    });
  });
}
