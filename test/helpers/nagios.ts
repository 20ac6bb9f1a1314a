// Runs a real Nagios 4 core (Debian nagios4-core) on a throw-away config in a scratch directory,
// lets it run each service check once, and returns what Nagios stored in status.dat. Follows
// docs/e2e-mon-nagios.md: setsid + env -i, read status.dat before stopping
// (Nagios deletes it on exit), stop by PID (TERM, bounded wait, KILL), every wait bounded.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { runCommand } from "./cli.js";
import { sessionMembers } from "./procs.js";

export const NAGIOS = "/usr/sbin/nagios4";
export const CHECK_PROCS = "/usr/lib/nagios/plugins/check_procs";
export const NAGIOS_INSTALL = "apt-get install nagios4-core monitoring-plugins-basic";

/** The shipped CLI bundle (dist/bin); copied, since the repo path may not be readable by nagios. */
const BIN_DIR = fileURLToPath(new URL("../../bin/", import.meta.url));

export type NagiosService =
  /** argv of the check; the first element is an absolute path readable by user nagios. */
  | { readonly name: string; readonly command: readonly string[] }
  /** A check_command as written in an object file (command!ARG1...), for commands in `objects`. */
  | { readonly name: string; readonly checkCommand: string };

/** A service's state as Nagios stored it (status.dat servicestatus block). */
export interface ServiceStatus {
  readonly currentState: number;
  readonly stateType: number;
  readonly pluginOutput: string;
  /** Unescaped: status.dat writes newline as \n and backslash as \\. */
  readonly longPluginOutput: string;
  readonly performanceData: string;
  /** has_been_checked=1: this is a real result, not the OK Nagios assumes before the first check. */
  readonly hasBeenChecked: boolean;
}

export interface NagiosRun {
  readonly services: ReadonlyMap<string, ServiceStatus>;
  /** Check results Nagios handled per service, counted in its debug log (debug_level=16). */
  readonly checks: ReadonlyMap<string, number>;
  /** nagios.log, for INITIAL SERVICE STATE / SERVICE ALERT lines. */
  readonly log: string;
}

/** The user Nagios runs plugins as. */
export function nagiosIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nagios:"));
  const [, , uid, gid] = (line ?? "").split(":");
  if (uid === undefined || gid === undefined) throw new Error("no user nagios in /etc/passwd (nagios4-common creates it)");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A scratch directory (owned by nagios unless `owner` says otherwise) holding a copy of the
 * procwatch bundle and a wrapper plugin, so the plugin runs whatever the repo's permissions.
 */
export class NagiosScratch {
  readonly dir: string;
  /** The plugin: a shell wrapper running `.../cli.js check --format nagios "$@"` as a command. */
  readonly plugin: string;
  /** A stand-in for an installed `procwatch`: a symlink to the copy's cli.js, as the package has. */
  readonly procwatch: string;

  constructor(owner: { uid: number; gid: number } = nagiosIds()) {
    const { uid, gid } = owner;
    this.dir = mkdtempSync(join(tmpdir(), "procwatch-nagios-"));
    for (const sub of ["bin", "rw", "tmp", "checkresults"]) mkdirSync(join(this.dir, sub));
    for (const f of readdirSync(BIN_DIR)) if (f.endsWith(".js") || f === "package.json") copyFileSync(join(BIN_DIR, f), join(this.dir, "bin", f));
    this.plugin = join(this.dir, "check_procwatch");
    chmodSync(join(this.dir, "bin", "cli.js"), 0o755);
    writeFileSync(this.plugin, `#!/bin/sh\nexec '${join(this.dir, "bin", "cli.js")}' check --format nagios "$@"\n`);
    chmodSync(this.plugin, 0o755);
    this.procwatch = join(this.dir, "procwatch");
    symlinkSync(join(this.dir, "bin", "cli.js"), this.procwatch);
    for (const p of [this.dir, ...["bin", "rw", "tmp", "checkresults"].map((s) => join(this.dir, s))]) {
      chownSync(p, uid, gid);
      chmodSync(p, 0o755);
    }
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One argument for /bin/sh inside a Nagios object file: shell-quoted, '$' → '$$' (macros), ';' → '\;' (comments). */
export function nagiosArg(arg: string): string {
  if (arg.includes("\n")) throw new Error(`a Nagios command_line cannot hold a newline: ${JSON.stringify(arg)}`);
  return `'${arg.replace(/'/g, "'\\''")}'`.replace(/\$/g, "$$$$").replace(/;/g, "\\;");
}

/** Runs Nagios until every service has one result in status.dat, then stops it. */
export async function runNagios(scratch: NagiosScratch, services: readonly NagiosService[], options: { deadlineMs?: number; objects?: string } = {}): Promise<NagiosRun> {
  const cfg = writeConfig(scratch.dir, services, options.objects ?? "");
  // Fail early, with Nagios' own words, on a config mistake.
  execFileSync(NAGIOS, ["-v", cfg], { stdio: "pipe", timeout: 10_000 });
  const nagios = spawn("setsid", ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NAGIOS, cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  nagios.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const pid = nagios.pid;
  if (pid === undefined) throw new Error("could not start nagios4");
  try {
    const statuses = await waitForResults(scratch.dir, services, nagios, options.deadlineMs ?? 30_000, () => stderr);
    const debug = readFileSync(join(scratch.dir, "debug.log"), "utf8");
    const checks = new Map(services.map((s) => [s.name, debug.split(`Handling ACTIVE async check result for service '${s.name}' on host`).length - 1]));
    return { services: statuses, checks, log: readFileSync(join(scratch.dir, "nagios.log"), "utf8") };
  } finally {
    await stop(nagios, pid);
  }
}

function writeConfig(dir: string, services: readonly NagiosService[], objects: string): string {
  const at = (f: string) => join(dir, f);
  const cfg = at("nagios.cfg");
  writeFileSync(cfg, [
    `log_file=${at("nagios.log")}`,
    `cfg_file=${at("objects.cfg")}`,
    `object_cache_file=${at("objects.cache")}`,
    `precached_object_file=${at("objects.precache")}`,
    `status_file=${at("status.dat")}`,
    "status_update_interval=1",
    "nagios_user=nagios",
    "nagios_group=nagios",
    "check_external_commands=1",
    `command_file=${at("rw/nagios.cmd")}`,
    `query_socket=${at("rw/nagios.qh")}`,
    `lock_file=${at("nagios.lock")}`,
    `temp_file=${at("nagios.tmp")}`,
    `temp_path=${at("tmp")}`,
    `check_result_path=${at("checkresults")}`,
    "use_syslog=0",
    "log_initial_states=1",
    // every interval below is in seconds
    "interval_length=1",
    "service_inter_check_delay_method=n",
    "max_service_check_spread=1",
    "check_result_reaper_frequency=1",
    "retain_state_information=0",
    "enable_notifications=0",
    "enable_event_handlers=0",
    "enable_flap_detection=0",
    "check_service_freshness=0",
    "check_host_freshness=0",
    // Nagios must never be the one to time out: procwatch's own --timeout (10 s) answers first.
    "service_check_timeout=30",
    "service_check_timeout_state=c",
    "illegal_macro_output_chars=`~$&|'\"<>",
    "debug_level=16",
    `debug_file=${at("debug.log")}`,
    "",
  ].join("\n"));
  const define = (type: string, fields: Record<string, string | number>) =>
    `define ${type} {\n${Object.entries(fields).map(([k, v]) => `  ${k} ${v}`).join("\n")}\n}\n`;
  writeFileSync(at("objects.cfg"), [
    define("timeperiod", { timeperiod_name: "24x7", alias: "24x7", sunday: "00:00-24:00", monday: "00:00-24:00", tuesday: "00:00-24:00", wednesday: "00:00-24:00", thursday: "00:00-24:00", friday: "00:00-24:00", saturday: "00:00-24:00" }),
    define("command", { command_name: "check_true", command_line: "/bin/true" }),
    define("command", { command_name: "notify_none", command_line: "/bin/true" }),
    define("contact", { contact_name: "nobody", alias: "nobody", host_notifications_enabled: 0, service_notifications_enabled: 0, host_notification_period: "24x7", service_notification_period: "24x7", host_notification_options: "n", service_notification_options: "n", host_notification_commands: "notify_none", service_notification_commands: "notify_none" }),
    define("host", { host_name: "localhost", address: "127.0.0.1", check_command: "check_true", max_check_attempts: 1, check_interval: 3600, retry_interval: 3600, check_period: "24x7", contacts: "nobody", notification_period: "24x7", notifications_enabled: 0 }),
    ...services.flatMap((s, i) => [
      "command" in s ? define("command", { command_name: `cmd${i}`, command_line: s.command.map(nagiosArg).join(" ") }) : "",
      // one check per run: the next would come an hour later
      define("service", { host_name: "localhost", service_description: s.name, check_command: "command" in s ? `cmd${i}` : s.checkCommand, max_check_attempts: 1, check_interval: 3600, retry_interval: 3600, check_period: "24x7", contacts: "nobody", notification_period: "24x7", notification_interval: 0, notifications_enabled: 0 }),
    ]),
    objects,
  ].join("\n"));
  return cfg;
}

async function waitForResults(dir: string, services: readonly NagiosService[], nagios: ChildProcess, deadlineMs: number, stderr: () => string): Promise<Map<string, ServiceStatus>> {
  const deadline = Date.now() + deadlineMs;
  const status = join(dir, "status.dat");
  for (;;) {
    if (nagios.exitCode !== null || nagios.signalCode !== null) throw new Error(`nagios4 exited early (${nagios.exitCode ?? nagios.signalCode}): ${stderr()}`);
    // status.dat is replaced whole (written to a temp file, then renamed): never half a file.
    const found = existsSync(status) ? parseStatus(readFileSync(status, "utf8")) : new Map<string, ServiceStatus>();
    if (services.every((s) => found.get(s.name)?.hasBeenChecked === true)) return found;
    if (Date.now() > deadline) {
      const debug = existsSync(join(dir, "debug.log")) ? readFileSync(join(dir, "debug.log"), "utf8").slice(-2000) : "";
      throw new Error(`no result for every service within ${deadlineMs} ms; have ${[...found.keys()].join(", ")}\n${debug}`);
    }
    await sleep(100);
  }
}

/** The servicestatus blocks of status.dat, by service_description. */
export function parseStatus(text: string): Map<string, ServiceStatus> {
  const out = new Map<string, ServiceStatus>();
  for (const block of text.split(/\n(?=servicestatus \{)/).slice(1)) {
    const body = block.slice(0, block.indexOf("\n\t}"));
    const fields = new Map<string, string>();
    for (const line of body.split("\n").slice(1)) {
      const eq = line.indexOf("=");
      if (eq > 0) fields.set(line.slice(0, eq).trim(), line.slice(eq + 1));
    }
    const name = fields.get("service_description");
    if (name === undefined) continue;
    out.set(name, {
      currentState: Number(fields.get("current_state")),
      stateType: Number(fields.get("state_type")),
      pluginOutput: fields.get("plugin_output") ?? "",
      longPluginOutput: (fields.get("long_plugin_output") ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)),
      performanceData: fields.get("performance_data") ?? "",
      hasBeenChecked: fields.get("has_been_checked") === "1",
    });
  }
  return out;
}

/** TERM, a bounded wait, then KILL; then any process left in its session (workers), by PID. */
async function stop(nagios: ChildProcess, pid: number): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (nagios.exitCode !== null || nagios.signalCode !== null) resolve();
    else nagios.once("exit", () => resolve());
  });
  const leftovers = (): number[] => sessionMembers(pid);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
  const gone = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!gone) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // it exited between the wait and the kill
    }
    await Promise.race([exited, sleep(2000)]);
  }
  const deadline = Date.now() + 3000;
  for (let rest = leftovers(); rest.length > 0 && Date.now() < deadline; rest = leftovers()) {
    for (const p of rest) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // left on its own
      }
    }
    await sleep(50);
  }
}

export interface PluginResult {
  readonly stdout: string;
  readonly code: number | null;
}

/** Runs the wrapper plugin as Nagios would: as another user, with only PATH in the environment. */
export async function runPlugin(scratch: NagiosScratch, args: readonly string[], user: { uid: number; gid: number }, timeoutMs = 30_000): Promise<PluginResult> {
  const r = await runCommand(scratch.plugin, args, { env: { PATH: "/usr/bin:/bin" }, uid: user.uid, gid: user.gid, timeoutMs });
  return { stdout: r.stdout, code: r.code };
}
