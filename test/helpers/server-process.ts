// A third-party server (Prometheus, Alertmanager) as a child of an end-to-end test: its own temp
// directory, its log kept as a tail for failure messages, a bounded wait for GET /-/ready, and a
// kill by PID that also runs when the test process exits. Never binds anything itself.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { httpGet } from "./daemon.js";

const TAIL_LINES = 40;

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  /** Private temp directory (configs, storage); removed by stop(). */
  readonly dir: string;
  /** The last lines of stdout and stderr together, for failure messages. */
  tail(): string;
  /** SIGKILL by PID, a bounded wait for the exit, then the temp directory goes. Idempotent. */
  stop(): Promise<void>;
}

interface Running {
  readonly child: ChildProcess;
  readonly dir: string;
}

const running = new Set<Running>();
// Whatever happened to the test (a failed assertion, an uncaught error), no server outlives it.
process.on("exit", () => {
  for (const r of running) {
    r.child.kill("SIGKILL");
    rmSync(r.dir, { recursive: true, force: true });
  }
});

/** A temp directory that stop() removes; made before the server so its config can be written there. */
export function serverDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pw-${prefix}-`));
}

export interface SpawnServerOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly port: number;
  readonly dir: string;
  /** Bound on start-up until /-/ready answers 200. */
  readonly readyTimeoutMs?: number;
}

/** Starts the server and resolves once GET /-/ready answers 200; fails with its log if it exits or hangs. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const child = spawn(options.command, options.args, { stdio: ["ignore", "pipe", "pipe"] });
  const entry: Running = { child, dir: options.dir };
  running.add(entry);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
      if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
    });
  }
  let exitedWith: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on("error", (err) => {
      exitedWith = `spawn error ${err.message}`;
      resolve();
    });
    child.on("exit", (code, signal) => {
      exitedWith = `exit code ${code} signal ${signal}`;
      resolve();
    });
  });
  const base = `http://127.0.0.1:${options.port}`;
  const tail = () => `--- last ${lines.length} lines of ${options.name}'s log ---\n${lines.join("\n")}`;
  let stopping: Promise<void> | undefined;
  const server: ServerProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    port: options.port,
    base,
    dir: options.dir,
    tail,
    stop: () => {
      stopping ??= (async () => {
        if (exitedWith === undefined) child.kill("SIGKILL");
        // SIGKILL cannot be caught; the bound only guards against an unkillable (D state) process.
        await Promise.race([exited, sleep(5000, undefined, { ref: false })]);
        running.delete(entry);
        rmSync(options.dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  if (child.pid === undefined) {
    await exited;
    await server.stop();
    throw new Error(`${options.name} (${options.command}) did not start: ${exitedWith ?? "no pid"}`);
  }
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (exitedWith !== undefined) {
      const log = tail();
      await server.stop();
      throw new Error(`${options.name} exited before it was ready (${exitedWith})\n${log}`);
    }
    try {
      const r = await httpGet(`${base}/-/ready`, 1000);
      if (r.status === 200) return server;
      last = `HTTP ${r.status} ${r.body.trim()}`;
    } catch (err) {
      // not listening yet: ECONNREFUSED until it has loaded its config; retried until the deadline
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      const log = tail();
      await server.stop();
      throw new Error(`${options.name} not ready within ${timeoutMs} ms (last: ${last})\n${log}`);
    }
    await sleep(100);
  }
}

