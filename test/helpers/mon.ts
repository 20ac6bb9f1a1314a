// Runs mon's side of the contract for end-to-end tests: Debian's real ps.monitor (the oracle),
// monitor scripts as mon runs them, and a real mon daemon on a scratch config. Follows
// docs/e2e-mon-nagios.md: setsid + env -i, readiness via `moncmd version`, every
// wait bounded, clean-up by PID only (never by name: the machine is shared).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { runCommand } from "./cli.js";
import { haveTools, skipOrFail } from "./e2e.js";
import { sessionMembers } from "./procs.js";

export const MON = "/usr/sbin/mon";
export const MONCMD = "/usr/bin/moncmd";
export const MONSHOW = "/usr/bin/monshow";
export const PS_MONITOR = "/usr/lib/mon/mon-local.d/ps.monitor";
export const MON_INSTALL = "apt-get install mon mon-client libcgi-pm-perl";
export const PS_MONITOR_INSTALL = "apt-get install mon libproc-processtable-perl";

/** examples/ps.monitor in the source tree (tsc does not copy examples into dist/). */
export const PS_MONITOR_SHIM = fileURLToPath(new URL("../../../examples/ps.monitor", import.meta.url));

/** The shipped CLI bundle (dist/bin); copied into scratch directories, which user mon can read. */
const BIN_DIR = fileURLToPath(new URL("../../bin/", import.meta.url));

/**
 * True when Debian's ps.monitor can run: the script and its Perl module (only Recommended by
 * mon; without it ps.monitor dies with exit 2). Otherwise skips loudly, or fails under CI.
 */
export function havePsMonitor(t: TestContext): boolean {
  if (!haveTools(t, [PS_MONITOR, "/usr/bin/perl"], PS_MONITOR_INSTALL)) return false;
  try {
    execFileSync("/usr/bin/perl", ["-MProc::ProcessTable", "-e", "1"], { stdio: "pipe", timeout: 10_000 });
    return true;
  } catch {
    skipOrFail(t, `needs the Perl module Proc::ProcessTable (${PS_MONITOR_INSTALL})`);
    return false;
  }
}

export interface MonitorResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs a monitor script as mon does (stdin /dev/null), keeping stdout and stderr apart. Bytes as latin1. */
export function runMonitor(path: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<MonitorResult> {
  return runCommand(path, args, { ...options, encoding: "latin1" });
}

/**
 * Writes `DIR/procwatch`, a symlink to a copy of the shipped bundle's cli.js in `DIR/bundle/`, as
 * the Debian package installs /usr/bin/procwatch, and returns its path. Run as a command, its
 * shell lines run the check as one Node process and supervise it (src/bin/launch.sh).
 */
export function installProcwatch(dir: string): string {
  const bundle = join(dir, "bundle");
  mkdirSync(bundle, { recursive: true });
  for (const f of readdirSync(BIN_DIR)) if (f.endsWith(".js") || f === "package.json") copyFileSync(join(BIN_DIR, f), join(bundle, f));
  const path = join(dir, "procwatch");
  chmodSync(join(bundle, "cli.js"), 0o755);
  symlinkSync(join(bundle, "cli.js"), path);
  return path;
}

/** The user Debian's mon.service runs as (User=mon), or undefined if there is none. */
export function monIds(): { uid: number; gid: number } | undefined {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("mon:"));
  const [, , uid, gid] = (line ?? "").split(":");
  return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port from listen(0)");
  return address.port;
}

export interface MonService {
  /** Watch group; a hostgroup of the same name holds "localhost" (never passed with ';;'). */
  readonly group: string;
  readonly service: string;
  /** File name in the scratch mondir. */
  readonly monitor: string;
  /** Monitor arguments, each double-quoted for quotewords; the line ends with ';;'. */
  readonly args: readonly string[];
  /** Default "1s". */
  readonly interval?: string;
  /** More lines inside the service block (e.g. `PROCWATCH=/path`). */
  readonly serviceLines?: readonly string[];
  /** More lines inside the period (e.g. `alertevery 1h`). */
  readonly periodLines?: readonly string[];
}

/** One JSON line written by the alert recorder. Strings carry bytes as latin1. */
export interface AlertRecord {
  readonly argv: readonly string[];
  /** The MON_* variables only. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

export interface MonOptions {
  readonly services: readonly MonService[];
  /** A whole mon.cf body (hostgroups and watches, e.g. a shipped example) instead of `services`. */
  readonly configBody?: string;
  /** Extra files for the alertdir: name → contents (made executable). */
  readonly alerts?: Readonly<Record<string, string>>;
  /** Extra files for the mondir: name → contents (made executable). */
  readonly monitors?: Readonly<Record<string, string>>;
  /** Run mon (and so its monitors and alerts) as this user; default: as ourselves. */
  readonly user?: { uid: number; gid: number };
}

// Appends argv, the MON_* environment and stdin as one JSON line to the file named by the last
// argument; flock, since alerts run asynchronously and may overlap. Perl: mon needs it anyway.
const ALERT_RECORDER = `#!/usr/bin/perl
use strict;
use warnings;
use Fcntl ':flock';
use JSON::PP;
binmode STDIN;
my $in = do { local $/; <STDIN> };
$in = '' unless defined $in;
my %env = map { $_ => $ENV{$_} } grep { /^MON_/ } keys %ENV;
my $file = $ARGV[-1];
open(my $fh, '>>', $file) or die "$file: $!";
binmode $fh;
flock($fh, LOCK_EX) or die "flock $file: $!";
print $fh JSON::PP->new->canonical->ascii->encode({ argv => \\@ARGV, env => \\%env, stdin => $in }), "\\n";
close $fh or die "$file: $!";
`;

/** A running mon on 127.0.0.1 with a throw-away config, mondir, alertdir, state and logs. */
export class MonServer {
  readonly dir: string;
  readonly port: number;
  /** `DIR/bin/procwatch`, in mon's PATH: what an installed procwatch would be. */
  readonly procwatch: string;
  private readonly child: ChildProcess;
  private readonly pid: number;
  private stderr = "";

  private constructor(dir: string, port: number, procwatch: string, child: ChildProcess) {
    this.dir = dir;
    this.port = port;
    this.procwatch = procwatch;
    this.child = child;
    if (child.pid === undefined) throw new Error("could not start mon");
    this.pid = child.pid;
    child.stderr?.on("data", (c: Buffer) => (this.stderr += c.toString("latin1")));
  }

  /** Writes the scratch tree and config, starts mon, and waits until it answers `version`. */
  static async start(options: MonOptions): Promise<MonServer> {
    const dir = mkdtempSync(join(tmpdir(), "procwatch-mon-"));
    const at = (...p: string[]) => join(dir, ...p);
    for (const sub of ["bin", "mon.d", "alert.d", "state", "log", "cwd"]) mkdirSync(at(sub));
    const procwatch = installProcwatch(at("bin"));
    const executable = (path: string, text: string) => {
      writeFileSync(path, text);
      chmodSync(path, 0o755);
    };
    // the monitor under test, installed as mon.cf's docs say: an exec wrapper in a mondir
    executable(at("mon.d", "procwatch.monitor"), `#!/bin/sh\nexec '${procwatch}' check "$@"\n`);
    for (const [name, text] of Object.entries(options.monitors ?? {})) executable(at("mon.d", name), text);
    executable(at("alert.d", "record.alert"), ALERT_RECORDER);
    for (const [name, text] of Object.entries(options.alerts ?? {})) executable(at("alert.d", name), text);
    writeFileSync(at("auth.cf"), ["command section", ...["list", "set", "stop", "version", "servertime", "term"].map((c) => `${c}: all`), "trap section", ""].join("\n"));
    const [port, trapPort] = [await freePort(), await freePort()];
    writeFileSync(at("mon.cf"), options.configBody === undefined ? formatConfig(dir, options.services) : `${configHeader(dir)}${options.configBody}`);
    if (options.user !== undefined) {
      for (const p of walk(dir)) chownSync(p, options.user.uid, options.user.gid);
    }
    chmodSync(dir, 0o755);
    const args = [
      "-d", "-c", at("mon.cf"), "-B", dir, "-A", at("auth.cf"), "-b", dir, "-s", at("mon.d"), "-a", at("alert.d"),
      "-D", at("state"), "-L", at("log"), "-P", at("mon.pid"), "-p", String(port), "-t", String(trapPort), "-r", "1s",
    ];
    // a new session (so leftovers can be found by SID) and a minimal systemd-like environment
    const env = ["PATH=" + [at("bin"), "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"), "HOME=/", "USER=mon", "LOGNAME=mon", "SHELL=/bin/sh"];
    const child = spawn("setsid", ["env", "-i", ...env, MON, ...args], {
      cwd: at("cwd"),
      stdio: ["ignore", "ignore", "pipe"],
      ...(options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid }),
    });
    const mon = new MonServer(dir, port, procwatch, child);
    try {
      await mon.waitFor("mon to answer 'version'", async () => ((await mon.moncmd("version")).includes("220 version completed") ? true : undefined), 10_000);
    } catch (e) {
      await mon.stop();
      mon.cleanup();
      throw e;
    }
    return mon;
  }

  /** One moncmd command; returns its output (latin1), whatever its exit status. */
  moncmd(...command: string[]): Promise<string> {
    return runTool(MONCMD, ["-s", "127.0.0.1", "-p", String(this.port), ...command]);
  }

  /** monshow against this server, never reading a personal rc file. */
  monshow(...args: string[]): Promise<string> {
    return runTool(MONSHOW, ["--server", "127.0.0.1", "--port", String(this.port), "--rcfile", "/dev/null", ...args]);
  }

  /** `list opstatus` for one service: its key=value fields, decoded (esc_str undone). */
  async opstatus(group: string, service: string): Promise<Map<string, string>> {
    const text = await this.moncmd("list", "opstatus");
    const line = text.split("\n").find((l) => l.startsWith(`group=${group} service=${service} `));
    if (line === undefined) throw new Error(`no opstatus line for ${group}/${service}:\n${text}`);
    return new Map(line.split(" ").map((kv) => {
      const eq = kv.indexOf("=");
      return [kv.slice(0, eq), decodeEscStr(kv.slice(eq + 1))];
    }));
  }

  /** Exit codes of the finished monitor runs of one service, in order (from mon -d's stderr). */
  runs(group: string, service: string): number[] {
    const re = new RegExp(`^PID \\d+ \\(${escapeRegExp(`${group}/${service}`)}\\) exited with \\[(\\d+)\\]$`, "gm");
    return [...this.stderr.matchAll(re)].map((m) => Number(m[1]));
  }

  /** Every alert recorded so far (complete lines only). */
  alerts(): AlertRecord[] {
    const file = this.alertFile;
    if (!existsSync(file)) return [];
    return readFileSync(file, "latin1").split("\n").filter((l) => l.endsWith("}")).map((l) => JSON.parse(l) as AlertRecord);
  }

  /** The file the recorder appends to (the alert's last argument). */
  get alertFile(): string {
    return join(this.dir, "alerts.jsonl");
  }

  /** mon's debug output so far, for failure messages. */
  get debugLog(): string {
    return this.stderr;
  }

  /** Polls `probe` every 100 ms until it returns a value; throws with mon's log tail after `timeoutMs`. */
  async waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`mon exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}:\n${this.stderr.slice(-3000)}`);
      }
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${this.stderr.slice(-3000)}`);
      await sleep(100);
    }
  }

  /**
   * Stops scheduling without losing results (§8): every period excluded, so a run still going
   * reports but alerts no more; then waits for running monitors and alerts to finish.
   */
  async quiesce(services: readonly MonService[]): Promise<void> {
    for (const s of services) {
      const reply = await this.moncmd("set", s.group, s.service, "exclude_period", "'wd {Sun-Sat}'");
      if (!/^220 /m.test(reply)) throw new Error(`moncmd set ${s.group} ${s.service} exclude_period: ${reply}`);
    }
    await this.waitFor("monitors and alerts to finish", () => (this.busyChildren().length === 0 ? true : undefined), 10_000);
  }

  /** Non-zombie processes in mon's session other than mon (running monitors and alerts). */
  busyChildren(): number[] {
    return sessionMembers(this.pid).filter((p) => p !== this.pid);
  }

  /** TERM mon by PID, a bounded wait, KILL; then anything left in its session, by PID. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    signal(this.pid, "SIGTERM");
    if (!(await Promise.race([exited.then(() => true), sleep(5000, undefined, { ref: false }).then(() => false)]))) {
      signal(this.pid, "SIGKILL");
      await Promise.race([exited, sleep(2000, undefined, { ref: false })]);
    }
    const deadline = Date.now() + 3000;
    for (let rest = sessionMembers(this.pid); rest.length > 0 && Date.now() < deadline; rest = sessionMembers(this.pid)) {
      for (const p of rest) signal(p, "SIGKILL");
      await sleep(50);
    }
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The global settings of every scratch mon.cf: loopback only, every path inside DIR. */
function configHeader(dir: string): string {
  const at = (...p: string[]) => join(dir, ...p);
  return `${[
    "serverbind = 127.0.0.1",
    "trapbind = 127.0.0.1",
    "clientallow = 127.0.0.1",
    `cfbasedir = ${dir}`,
    `authfile = ${at("auth.cf")}`,
    `mondir = ${at("mon.d")}`,
    `alertdir = ${at("alert.d")}`,
    `statedir = ${at("state")}`,
    `logdir = ${at("log")}`,
    `historicfile = ${at("log", "history.log")}`,
    "dtlogging = yes",
    `dtlogfile = ${at("log", "dtlog")}`,
    "maxprocs = 20",
    "histlength = 100",
    "",
  ].join("\n")}\n`;
}

function formatConfig(dir: string, services: readonly MonService[]): string {
  const at = (...p: string[]) => join(dir, ...p);
  const lines = [configHeader(dir)];
  const groups = [...new Set(services.map((s) => s.group))];
  for (const g of groups) lines.push(`hostgroup ${g} localhost`);
  for (const g of groups) {
    lines.push("", `watch ${g}`);
    for (const s of services.filter((x) => x.group === g)) {
      lines.push(
        `\tservice ${s.service}`,
        `\t\tdescription ${s.monitor} in ${s.group}/${s.service}`,
        `\t\tinterval ${s.interval ?? "1s"}`,
        ...(s.serviceLines ?? []).map((l) => `\t\t${l}`),
        `\t\tmonitor ${s.monitor} ${s.args.map(quoteWord).join(" ")} ;;`,
        "\t\tperiod wd {Sun-Sat}",
        ...(s.periodLines ?? []).map((l) => `\t\t\t${l}`),
        `\t\t\talert record.alert ${at("alerts.jsonl")}`,
        `\t\t\tupalert record.alert ${at("alerts.jsonl")}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** One word for Text::ParseWords::quotewords: double-quoted, with `\` and `"` escaped. */
function quoteWord(word: string): string {
  if (/[\n\r]/.test(word)) throw new Error(`a mon.cf line cannot hold a newline: ${JSON.stringify(word)}`);
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Undoes mon's esc_str: `\xx` (hex) → that byte, `\\` → `\`. Bytes as latin1. */
export function decodeEscStr(text: string): string {
  return text.replace(/\\(\\|[0-9a-fA-F]{2})/g, (_, e: string) => (e === "\\" ? "\\" : String.fromCharCode(parseInt(e, 16))));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function runTool(path: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  const r = await runCommand(path, args, { env: { PATH: "/usr/bin:/bin" }, timeoutMs, encoding: "latin1", mergeStderr: true });
  return r.stdout;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    // ESRCH: it exited on its own meanwhile, which is what we wanted
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}


function walk(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
