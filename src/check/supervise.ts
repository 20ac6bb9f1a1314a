// Runs checks in a child process ("the scanner") and ends it at the deadline. Why a child: a read
// of /proc/PID/cmdline can block forever (D state, mm lock); a read stuck in this process would
// keep even process.exit() from returning, while a child can always be SIGKILLed. The parent reads
// no /proc file, so it always ends with a normal exit (mon counts death by a signal as success).
// Run as a command, the shell header (src/bin/launch.sh) starts the scanner beside the CLI, so the
// two Node start-ups run at once, and the CLI adopts it; run as `node cli.js`, the CLI spawns it
// before parsing its flags. Either way it waits for its request on stdin. Imports only node
// builtins, to start fast.
import type { CheckRequest } from "./request.js";
import { type ChildProcess, spawn } from "node:child_process";
import { fstatSync } from "node:fs";
import { Socket } from "node:net";
import type { Readable } from "node:stream";
import type { Formatted } from "../output/format.js";

const STDERR_CAP = 4096;
const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

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
      return awaitResult(spawned(proc), how);
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

/** Where the shell lines of dist/bin/cli.js (src/bin/launch.sh) leave the pipes of the scanner it
 * started beside this process: the request is written to the first, the answer (the scanner's
 * stdout and stderr) read from the second. */
export const ADOPTED_REQUEST_FD = 4;
export const ADOPTED_ANSWER_FD = 6;

/**
 * The scanner the shell header started at the same time as this process, so the two Node
 * start-ups run side by side instead of one after the other. `pid` is the scanner's, this
 * process's own child (the shell forked it, then became this process). It is killed only at the
 * deadline or on a signal, while its answer pipe is still open: the scanner alone holds the
 * pipe's write end, so the PID is still its own (even where SIGCHLD is ignored and children are
 * reaped at once). Undefined when the pipes are not there (the variable set by hand): the caller
 * spawns a scanner instead.
 */
export function adoptScanChild(pid: number, excludeRoot: number): ScanChild | undefined {
  if (!isPipe(ADOPTED_REQUEST_FD) || !isPipe(ADOPTED_ANSWER_FD)) return undefined;
  // Sockets, not fs streams: a pipe read waits in epoll, never in a threadpool thread that a
  // stuck scanner could keep from returning (and with it this process's exit).
  const request = new Socket({ fd: ADOPTED_REQUEST_FD, readable: false, writable: true });
  const answer = new Socket({ fd: ADOPTED_ANSWER_FD, readable: true, writable: false });
  request.on("error", () => undefined);
  let used = false;
  return {
    run(req, how) {
      used = true;
      const full: CheckRequest = { ...req, excludeRoots: [excludeRoot] };
      request.end(JSON.stringify(full));
      return awaitResult(adopted(pid, answer), how);
    },
    cancel() {
      if (used) return;
      used = true;
      // End of file on its stdin: the scanner exits quietly (bin/child.ts).
      request.destroy();
      answer.destroy();
    },
  };
}

function isPipe(fd: number): boolean {
  try {
    return fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}

function adopted(pid: number, answer: Socket): Running {
  return {
    answer,
    onExit: () => undefined,
    onSpawnError: () => undefined,
    kill: () => {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
    release: () => answer.destroy(),
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

/** A started scanner as awaitResult sees it, spawned here or adopted from the shell header. */
interface Running {
  /** The scanner's stdout: its answer, then end of file. */
  readonly answer: Readable;
  /** Its stderr; absent when it shares the answer's pipe (adopted). */
  readonly errors?: Readable;
  /** Calls back once the scanner has exited, when that can be known here (a spawned child). */
  onExit(callback: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  onSpawnError(callback: (err: Error) => void): void;
  kill(): void;
  /** This process may exit without waiting for the scanner. */
  release(): void;
}

function spawned(child: ChildProcess): Running {
  return {
    answer: child.stdout as NonNullable<ChildProcess["stdout"]>,
    errors: child.stderr as NonNullable<ChildProcess["stderr"]>,
    onExit: (callback) => child.on("close", callback),
    onSpawnError: (callback) => child.on("error", callback),
    kill: () => child.kill("SIGKILL"),
    release: () => child.unref(),
  };
}

function awaitResult(scanner: Running, how: Supervision): Promise<Formatted> {
  const { answer, errors } = scanner;
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
        scanner.kill();
        answer.destroy();
        errors?.destroy();
        scanner.release();
      }
      resolve(result);
    };
    const failed = (ending: string): void => {
      const text = errors === undefined ? Buffer.concat(out).toString("utf8").slice(0, STDERR_CAP) : err;
      const first = text.split("\n").find((l) => /Error|error/.test(l)) ?? text.split("\n")[0] ?? "";
      settle(how.onFailure(`scanner ${ending}${first === "" ? "" : `: ${first.trim()}`}`), false);
    };
    const timer = setTimeout(() => settle(how.onTimeout(), true), how.timeoutMs);
    const onSignal = (signal: NodeJS.Signals): void => settle(how.onSignal(signal), true);
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    answer.on("data", (chunk: Buffer) => out.push(chunk));
    errors?.on("data", (chunk: Buffer) => {
      if (err.length < STDERR_CAP) err += chunk.toString("utf8");
    });
    scanner.onSpawnError((e) => settle(how.onUnavailable(describeSpawnError(e)), false));
    // The scanner closes its stdout once the answer is written: take the answer then, without
    // waiting for its exit (Node's teardown, a few ms on every check's critical path). A read
    // error on the pipe ends it the same way: the answer is complete or missing.
    const answered = (): void => {
      const result = parseAnswer(out);
      if (result === undefined) {
        // No answer: a spawned child's exit says why; an adopted one's exit is not ours to see.
        if (errors === undefined) failed("ended without an answer");
        return;
      }
      settle(result, false);
      errors?.destroy();
      scanner.release();
    };
    answer.on("end", answered);
    answer.on("error", answered);
    scanner.onExit((code, signal) => {
      const result = code === 0 ? parseAnswer(out) : undefined;
      if (result !== undefined) return settle(result, false);
      failed(signal === null ? `exited with ${code}` : `killed by ${signal}`);
    });
  });
}
