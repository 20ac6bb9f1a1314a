// A real `procwatch run` as a child process for end-to-end tests: started on a free loopback
// port, its stderr log collected line by line, HTTP helpers for its listener, and a bounded stop.
// Killed by PID when the test process exits, whatever happened.
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI } from "./cli.js";
import { waitUntil } from "./wait.js";

export interface DaemonProcess {
  readonly pid: number;
  readonly port: number;
  readonly base: string;
  readonly child: ChildProcess;
  /** Every stderr line so far. */
  readonly log: readonly string[];
  get(path: string, timeoutMs?: number): Promise<{ status: number; body: string; ms: number }>;
  /** Polls until `probe` returns a value (or fails after timeoutMs, showing the log). */
  until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs?: number): Promise<T>;
  /** Sends `signal` and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Resolves once the exit happened (or rejects after timeoutMs). */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const alive = new Set<ChildProcess>();
process.on("exit", () => alive.forEach((c) => c.kill("SIGKILL")));

/** A loopback port nobody listened on a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address !== "object") throw new Error("no port");
  return address.port;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Wait for the "started:" line (default) or return at once (start-up failures). */
  readonly waitStarted?: boolean;
}

export async function startDaemon(args: readonly string[], options: StartOptions = {}): Promise<DaemonProcess> {
  const port = await freePort();
  const { NODE_EXTRA_CA_CERTS: _ignored, ...baseEnv } = process.env;
  const child = spawn(process.execPath, ["--max-semi-space-size=1", CLI, "run", "--prometheus-listen", `127.0.0.1:${port}`, ...args], {
    env: { ...baseEnv, ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (child.pid === undefined) throw new Error("procwatch run did not start");
  alive.add(child);
  const log: string[] = [];
  let partial = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    log.push(...lines);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      alive.delete(child);
      if (partial !== "") log.push(partial);
      resolve({ code, signal });
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = async (timeoutMs = 10_000) => {
    const timer = sleep(timeoutMs).then(() => {
      throw new Error(`procwatch run (pid ${child.pid}) did not exit within ${timeoutMs} ms; log:\n${log.join("\n")}`);
    });
    return Promise.race([exit, timer]);
  };
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> =>
    waitUntil(what, probe, { timeoutMs, context: () => `daemon log:\n${log.join("\n")}` });
  const daemon: DaemonProcess = {
    pid: child.pid,
    port,
    base,
    child,
    log,
    get: (path, timeoutMs = 5000) => httpGet(`${base}${path}`, timeoutMs),
    until,
    exited,
    stop: async (signal = "SIGTERM", timeoutMs = 10_000) => {
      const started = Date.now();
      child.kill(signal);
      const result = await exited(timeoutMs);
      return { ...result, ms: Date.now() - started };
    },
  };
  if (options.waitStarted !== false) await until("the started: line", () => (log.some((l) => l.includes("started:")) ? true : undefined), 15_000);
  return daemon;
}

export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The value of one Prometheus text-format sample whose labels include every given pair. */
export function sample(metricsText: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const brace = line.indexOf("{");
    const labelText = brace < 0 ? "" : line.slice(brace + 1, line.lastIndexOf("}"));
    const have = new Map([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}
