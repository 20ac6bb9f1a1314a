// Real processes with distinctive names for end-to-end tests. The name comes from a symlink to a
// real binary (comm = first 15 bytes of the link name; exe stays the real binary). Every spawned
// PID is recorded and killed by PID; never by name (the machine is shared).
import { waitUntil } from "./wait.js";
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A short unique name: "pw" + prefix + random hex, at most 15 bytes so comm holds all of it. */
export function uniqueName(prefix: string): string {
  const name = `pw${prefix}${randomBytes(4).toString("hex")}`;
  if (name.length > 15) throw new Error(`name ${name} longer than 15 bytes; use a shorter prefix`);
  return name;
}

export interface SpawnedProcess {
  readonly pid: number;
  readonly name: string;
  readonly child: ChildProcess;
}

export class ProcessPool {
  private readonly children: ChildProcess[] = [];
  private readonly dir: string;
  private readonly links = new Set<string>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "procwatch-test-"));
    // other users (nobody) must be able to exec the links
    chmodSync(this.dir, 0o755);
    // A test process that exits hard never reaches after(): its sleepers must not outlive it.
    process.once("exit", () => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** A symlink named `name` to `target` inside this pool's directory. */
  link(name: string, target = "/bin/sleep"): string {
    const path = join(this.dir, name);
    if (!this.links.has(name)) symlinkSync(target, path);
    this.links.add(name);
    return path;
  }

  /** Starts `name` (a symlink to sleep unless `target` says otherwise) and waits until it has exec'd. */
  async start(name: string, options: { target?: string; args?: readonly string[]; uid?: number; gid?: number; argv0?: string } = {}): Promise<SpawnedProcess> {
    const path = this.link(name, options.target);
    const spawnOptions: SpawnOptions = { stdio: "ignore", detached: false };
    if (options.uid !== undefined) spawnOptions.uid = options.uid;
    if (options.gid !== undefined) spawnOptions.gid = options.gid;
    if (options.argv0 !== undefined) spawnOptions.argv0 = options.argv0;
    const child = spawn(path, options.args ?? ["600"], spawnOptions);
    this.children.push(child);
    if (child.pid === undefined) throw new Error(`could not start ${path}`);
    await waitForComm(child.pid, name.slice(0, 15));
    return { pid: child.pid, name, child };
  }

  /** Starts any command and records it for clean-up. */
  spawnCommand(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { stdio: "ignore", ...options });
    this.children.push(child);
    return child;
  }

  /** Kills one process by PID and waits until it is gone (reaped). */
  async kill(p: SpawnedProcess | ChildProcess): Promise<void> {
    const child = "child" in p ? p.child : p;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.children.map((c) => this.kill(c)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  get directory(): string {
    return this.dir;
  }
}

/** Waits until /proc/PID/comm reads `comm` (the exec has happened). */
export async function waitForComm(pid: number, comm: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let now = "";
    try {
      now = readFileSync(`/proc/${pid}/comm`, "latin1").replace(/\n$/, "");
    } catch {
      // not there yet or gone; retried until the deadline
    }
    if (now === comm) return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} never showed comm ${comm} (last: ${JSON.stringify(now)})`);
    await sleep(5);
  }
}

/** What a test needs to know of a process on the real /proc: from its stat line. */
export interface ProcInfo {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** Session id (stat field 6). */
  readonly sid: number;
}

/** Every process on the machine right now; ones that leave while we look are skipped. */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "latin1");
      const close = stat.lastIndexOf(")");
      const [state, ppid, , sid] = stat.slice(close + 2).split(" ");
      out.push({ pid: Number(d), comm: stat.slice(stat.indexOf("(") + 1, close), state: state ?? "", ppid: Number(ppid), sid: Number(sid) });
    } catch {
      // the process left while we looked
    }
  }
  return out;
}

export function childrenOf(ppid: number): ProcInfo[] {
  return listProcesses().filter((p) => p.ppid === ppid);
}

/** Live (non-zombie) PIDs in session `sid`. */
export function sessionMembers(sid: number): number[] {
  return listProcesses().filter((p) => p.sid === sid && p.state !== "Z").map((p) => p.pid);
}

/** waitUntil (wait.ts) for a synchronous probe, polled every 2 ms: a process's short life. */
export function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  return waitUntil("the condition", probe, { timeoutMs, intervalMs: 2, context: () => "" });
}
