// The README's Quick start daemon stops cleanly however it is stopped: `npx procwatch run &` then
// SIGTERM to the PID the shell got ($!, npm's), and Ctrl-C (SIGINT to the whole foreground process
// group). npm exec runs the bin under `sh -c`, forwards SIGTERM to that shell alone, and dash dies
// of it without passing it on: the daemon must notice and stop, releasing its port, instead of
// running on reparented. Offline: npx finds procwatch in the project's node_modules/.bin (what
// `npm install ./procwatch-*.tgz` makes), with an empty cache.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";
import { freePort } from "../helpers/mon.js";
import { listProcesses } from "../helpers/procs.js";

const NPX = "/usr/bin/npx";
const tmp = mkdtempSync(join(tmpdir(), "pw-npx-stop-"));
const started: number[] = [];
after(() => {
  // Anything of ours still alive (the test failed): by PID only.
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

const project = join(tmp, "project");
mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
symlinkSync(CLI, join(project, "node_modules", ".bin", "procwatch"));
writeFileSync(join(project, "package.json"), '{"name":"pw-quick-start","version":"1.0.0","private":true}\n');

interface Started {
  readonly npx: ChildProcess;
  readonly daemonPid: number;
  readonly port: number;
  log(): string;
}

/** `npx procwatch run` in its own process group (as a shell job), once the daemon listens. */
async function startQuickStart(): Promise<Started> {
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmp, npm_config_cache: join(tmp, "cache"), npm_config_offline: "true", npm_config_update_notifier: "false" };
  const npx = spawn(NPX, ["procwatch", "run", "--prometheus-listen", `127.0.0.1:${port}`], { cwd: project, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  assert.ok(npx.pid !== undefined);
  started.push(npx.pid);
  let log = "";
  npx.stderr?.on("data", (c: Buffer) => (log += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!log.includes("listening on")) {
    if (Date.now() > deadline || npx.exitCode !== null) throw new Error(`the daemon did not start under npx:\n${log}`);
    await sleep(50);
  }
  // The daemon: the node process in npx's process group that holds the port's command line.
  const daemon = listProcesses().find((p) => p.pid !== npx.pid && inGroup(p.pid, npx.pid as number) && commandLine(p.pid).includes(`127.0.0.1:${port}`) && p.comm === "node");
  assert.ok(daemon !== undefined, "no daemon process found under npx");
  started.push(daemon.pid);
  return { npx, daemonPid: daemon.pid, port, log: () => log };
}

function inGroup(pid: number, pgid: number): boolean {
  try {
    const stat = readStat(pid);
    return Number(stat[2]) === pgid;
  } catch {
    return false;
  }
}

function readStat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "latin1");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

async function gone(pid: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!listProcesses().some((p) => p.pid === pid && p.state !== "Z")) return true;
    await sleep(50);
  }
  return false;
}

async function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

test("SIGTERM to npx's PID ($!): the daemon flushes, exits and frees its port", async (t) => {
  if (!haveTools(t, [NPX], "apt-get install npm")) return;
  const run = await startQuickStart();
  const npxExit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => run.npx.once("exit", (c, s) => resolve([c, s])));
  process.kill(run.npx.pid as number, "SIGTERM");
  const [code, signal] = await npxExit;
  // npm reports the signal its child (sh) died of, as it does for any command; the daemon is ours.
  assert.ok(code === 0 || code === 143 || signal === "SIGTERM", `npx ended with ${code ?? signal}`);
  assert.ok(await gone(run.daemonPid), `daemon ${run.daemonPid} still running after npx was stopped`);
  assert.match(run.log(), /npm exec's shell is gone \(SIGTERM to npx\): flushing metrics .* and exiting/);
  assert.ok(await portRefused(run.port), `port ${run.port} still held`);
});

test("Ctrl-C (SIGINT to the process group): the daemon flushes, exits and frees its port", async (t) => {
  if (!haveTools(t, [NPX], "apt-get install npm")) return;
  const run = await startQuickStart();
  const npxExit = new Promise<void>((resolve) => run.npx.once("exit", () => resolve()));
  process.kill(-(run.npx.pid as number), "SIGINT");
  await npxExit;
  assert.ok(await gone(run.daemonPid), `daemon ${run.daemonPid} still running after Ctrl-C`);
  assert.match(run.log(), /SIGINT: flushing metrics .* and exiting/);
  assert.ok(await portRefused(run.port), `port ${run.port} still held`);
});
