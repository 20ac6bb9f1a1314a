// `procwatch run`: the receiver daemon. Owns the process-wide things of the daemon face: the scan
// timer, signals, the listener and the telemetry pipeline; everything it decides comes from the
// same measure/judge code as `procwatch check`. Logs to stderr, one line per event, never per process.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Accounts } from "../system/accounts.js";
import type { DaemonConfig } from "../config/types.js";
import type { Problem } from "../rules/problem.js";
import { escapeText } from "../output/escape.js";
import { formatProblem } from "../output/problems.js";
import { isProblem } from "../rules/problem.js";
import { makeInterpreterSet } from "../evaluate/names.js";
import { createScanner, DAEMON_DETAIL_LIMIT, type Observation, type ScanSettings } from "../measure/cycle.js";
import { prepareSetup } from "../measure/setup.js";
import { FileRefusedError } from "../procfs/regular-file.js";
import { checkProcRoot, describeProcRootProblem } from "../procfs/root.js";
import type { Formatted, OutputFormat } from "../output/format.js";
import { confirmationNotes, formatMeasurement } from "../output/measurement.js";
import { formatDuration } from "../rules/duration.js";
import { startTelemetry } from "../telemetry/exporters.js";
import { publishObservations } from "../telemetry/publish.js";
import { encodeVerdicts } from "../output/verdicts-doc.js";
import { createAfterScanCollector } from "./collect.js";
import { createHandler, type ServerHealth, startServer, startSocketServer } from "./server.js";

export interface DaemonDeps {
  /** Loads (or reloads, on SIGHUP) the whole configuration: file, command-line rules and flags. */
  readonly load: () => { readonly config: DaemonConfig } | { readonly problems: readonly Problem[] };
  readonly accounts: Accounts;
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
  /** The Unix socket that serves verdicts too (check --from unix:PATH); isDefault: the path was
   * not asked for, so failing to bind it is logged, not fatal. */
  readonly socket?: { readonly path: string; readonly isDefault: boolean };
}


/** How long SIGTERM waits for the last export before exiting anyway (a dead collector). */
const SHUTDOWN_WAIT_MS = 5000;

/** Runs until SIGTERM/SIGINT; resolves with the exit code. Config problems: 1 before any scan. */
export async function runDaemon(deps: DaemonDeps): Promise<number> {
  exitOnUncaught(deps.log);
  const first = loadScanSettings(deps);
  if ("problems" in first) {
    for (const p of first.problems) deps.log(p);
    return 1;
  }
  try {
    // Read passwd and group now (they are cached): a refusal later would surface inside a scrape.
    deps.accounts.userName(0);
    deps.accounts.groupName(0);
  } catch (err) {
    if (!(err instanceof FileRefusedError)) throw err;
    deps.log(err.message);
    return 1;
  }
  let { config, settings } = first;
  const cycle = createDaemonCycle(settings);
  const latest = cycle.latest;
  const telemetry = startTelemetry({ export: config.export, scanIntervalMs: config.intervalMs, version: deps.version, log: deps.log, env: deps.env });
  let handlerErrors = (): number => 0;
  const publisher = publishObservations(telemetry.meter, {
    latest,
    exportFailures: () => telemetry.exportFailures(),
    handlerErrors: () => handlerErrors(),
    accounts: deps.accounts,
    topProcesses: config.export.topProcesses,
  });
  const rendered = renderedPerScan();
  const health: ServerHealth = { handlerErrors: 0 };
  const handler = createHandler({
    ...(telemetry.metricsHandler === undefined ? {} : { metricsHandler: telemetry.metricsHandler }),
    verdicts: (format) => {
      const obs = latest();
      if (obs === undefined) return undefined;
      const formatted = rendered(obs, `text/${format}`, () => formatObservation(obs, format, deps.accounts));
      return { scan: { seq: obs.seq, atMs: obs.atMs, durationMs: obs.durationMs, intervalMs: obs.settings.intervalMs }, formatted };
    },
    verdictsDocument: (format) => {
      const obs = latest();
      if (obs === undefined) return undefined;
      return rendered(obs, `document/${format}`, () => observationDocument(obs, format, DAEMON_DETAIL_LIMIT, deps.accounts));
    },
  }, health, deps.log);
  handlerErrors = () => health.handlerErrors;
  const servers: Server[] = [];
  const listen = config.export.prometheus;
  try {
    servers.push(await startServer(listen.host, listen.port, handler));
  } catch (err) {
    deps.log(`cannot listen on ${hostPort(listen.host, listen.port)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    await telemetry.shutdown(SHUTDOWN_WAIT_MS);
    return 1;
  }
  const socketPath = deps.socket?.path;
  if (socketPath !== undefined) {
    try {
      servers.push(await startSocketServer(socketPath, handler));
    } catch (err) {
      const why = `${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      // The default path serves only where systemd made /run/procwatch; a path asked for must work.
      if (deps.socket?.isDefault !== true) {
        deps.log(`cannot listen on ${socketPath}: ${why}`);
        for (const s of servers) s.close();
        await telemetry.shutdown(SHUTDOWN_WAIT_MS);
        return 1;
      }
      deps.log(`not serving verdicts on ${socketPath}: ${why} (check --from then needs --from URL)`);
    }
  }
  const server = servers[0] as Server;
  // The bound port, not the configured one: port 0 (tests) picks a free port.
  const bound = server.address();
  const port = bound !== null && typeof bound === "object" ? bound.port : listen.port;
  deps.log(`started: ${describeConfig(config)}; listening on http://${hostPort(listen.host, port)}`
    + ` (${telemetry.metricsHandler === undefined ? "" : "/metrics, "}/verdicts)${servers.length > 1 ? ` and unix:${socketPath ?? ""}` : ""}`);

  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> = Promise.resolve();
  let failing: string | undefined;
  /** Once when scans start failing (the proc root went away) and once when they recover. */
  const noteFailure = (obs: Observation): void => {
    if (obs.failure !== failing) deps.log(obs.failure === undefined ? "scans recovered" : `scan failed, rules are unknown until it recovers: ${obs.failure}`);
    failing = obs.failure;
  };
  const schedule = (delayMs: number): void => {
    if (stop.signal.aborted) return;
    // A timeout chain, not setInterval: a slow scan never overlaps the next one.
    timer = setTimeout(() => {
      const startedAt = Date.now();
      scanning = cycle.run(publisher).then((run) => noteFailure(run.observation), (err: unknown) => {
        // A bug, not a /proc condition (those are classified in the reader): crash loudly.
        queueMicrotask(() => {
          throw err;
        });
      }).finally(() => schedule(Math.max(0, settings.intervalMs - (Date.now() - startedAt))));
    }, delayMs);
  };
  schedule(0);

  process.on("SIGHUP", () => {
    const next = loadScanSettings(deps);
    if ("problems" in next) {
      deps.log(`reload failed, keeping the running configuration: ${next.problems.length} problem(s)`);
      for (const p of next.problems) deps.log(p);
      return;
    }
    if (JSON.stringify(next.config.export) !== JSON.stringify(config.export)) {
      deps.log("reload: export settings changed; they take effect on restart");
    }
    config = next.config;
    settings = next.settings;
    cycle.useSettings(settings);
    deps.log(`reloaded: ${describeConfig(config)}`);
  });

  let orphanWatch: NodeJS.Timeout | undefined;
  const signal = await new Promise<NodeJS.Signals | "orphaned">((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
    orphanWatch = watchNpmExecShell(deps.env, () => resolve("orphaned"));
  });
  stop.abort();
  clearTimeout(timer);
  clearInterval(orphanWatch);
  deps.log(`${signal === "orphaned" ? "npm exec's shell is gone (SIGTERM to npx)" : signal}: flushing metrics (at most ${formatDuration(SHUTDOWN_WAIT_MS)}) and exiting`);
  await Promise.race([scanning, new Promise((resolve) => setTimeout(resolve, 1000))]);
  await telemetry.shutdown(SHUTDOWN_WAIT_MS);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  return 0;
}

/**
 * A throw or rejection nothing handled is a bug whose damage we cannot bound (a timer chain may be
 * broken): log it once with its causes and exit non-zero, so systemd's Restart= starts a whole
 * daemon again rather than leaving one that answers but no longer scans.
 */
export function exitOnUncaught(log: (line: string) => void): void {
  let dying = false;
  const die = (kind: string) => (err: unknown): void => {
    if (dying) return;
    dying = true;
    log(`fatal: ${kind}: ${describeError(err)}; exiting with status ${FATAL_EXIT}`);
    process.exit(FATAL_EXIT);
  };
  process.on("uncaughtException", die("uncaught exception"));
  process.on("unhandledRejection", die("unhandled rejection"));
}

/** EX_SOFTWARE (sysexits.h): an internal software error. */
const FATAL_EXIT = 70;

function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join("\ncaused by: ");
}

/**
 * `npx procwatch run` runs us as `sh -c 'procwatch' run ...` under npm. A SIGTERM to npm (the PID
 * a shell's `$!` holds) is forwarded to that sh alone; dash dies of it without passing it on, and
 * we would run on, reparented, holding the port. So under npm exec (npm sets npm_command=exec)
 * a change of parent means that shell is gone: stop as on SIGTERM. Not done otherwise, so
 * `nohup procwatch run &` survives its shell as it should.
 */
function watchNpmExecShell(env: NodeJS.ProcessEnv, onOrphaned: () => void): NodeJS.Timeout | undefined {
  if (env["npm_command"] !== "exec") return undefined;
  const parent = currentParent();
  const watch = setInterval(() => {
    if (currentParent() !== parent) onOrphaned();
  }, 250);
  watch.unref();
  return watch;
}

/** The parent's PID now: process.ppid is fixed at start-up (Node 20), /proc/self/stat is not. */
function currentParent(): number {
  const stat = readFileSync("/proc/self/stat", "latin1");
  // Fields after the comm, which ends at the last ")": state, then ppid.
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** What one daemon scan cost, for the bench (bench/daemon-harness.ts times this same code). */
export interface CycleRun {
  readonly observation: Observation;
  /** CPU time of the scan alone (user + system, every thread), µs. */
  readonly scanCpuUs: number;
  /** Wall time of the scan alone, ms. */
  readonly scanWallMs: number;
}

export interface DaemonCycle {
  /** The newest scan's observation: what /metrics, OTLP and /verdicts report. */
  readonly latest: () => Observation | undefined;
  /** One cycle: scan, make it the latest, record it for the exporters, and collect garbage once
   * the heap has grown enough (collect.ts). runDaemon's timer calls it, and so does the bench. */
  run(publisher: { recordScan(obs: Observation): void }): Promise<CycleRun>;
  /** Later scans use these settings (a reload). */
  useSettings(settings: ScanSettings): void;
}

/** `gc`: globalThis.gc as the CLI's flags exposed it (absent: V8 alone decides when to collect). */
export function createDaemonCycle(settings: ScanSettings, gc = (globalThis as { gc?: () => void }).gc): DaemonCycle {
  const scanner = createScanner(settings);
  const collectGarbage = createAfterScanCollector(gc);
  let latest: Observation | undefined;
  return {
    latest: () => latest,
    async run(publisher) {
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const observation = await scanner.scan();
      const cpu = process.cpuUsage(cpu0);
      const scanWallMs = performance.now() - wall0;
      latest = observation;
      publisher.recordScan(observation);
      collectGarbage?.();
      return { observation, scanCpuUs: cpu.user + cpu.system, scanWallMs };
    },
    useSettings: (next) => scanner.useSettings(next),
  };
}

type Loaded = { config: DaemonConfig; settings: ScanSettings } | { problems: string[] };

/** The configuration and what the scanner runs, or every problem formatted (also for `validate`). */
export function loadScanSettings(deps: Pick<DaemonDeps, "load" | "accounts">): Loaded {
  try {
    return loadScanSettingsOnce(deps);
  } catch (err) {
    // /etc/passwd, group or login.defs refused (a FIFO, a device, too large): a problem like any.
    if (err instanceof FileRefusedError) return { problems: [err.message] };
    throw err;
  }
}

function loadScanSettingsOnce(deps: Pick<DaemonDeps, "load" | "accounts">): Loaded {
  const loaded = deps.load();
  if ("problems" in loaded) return { problems: loaded.problems.map(formatProblem) };
  const config = loaded.config;
  // The built-in defaults always check something (security, runaways); a file and command line
  // with nothing to check would run a daemon that is green forever.
  if (config.rules.length === 0 && config.cpu?.maxPercent === undefined && config.security === undefined) {
    return { problems: [`${config.origin}: nothing to check: no rules, no cpu: max_percent and no security: checks; add rules (in the file or on the command line), a cpu: or a security: section`] };
  }
  const rootProblem = checkProcRoot(config.procRoot);
  if (rootProblem !== undefined) return { problems: [describeProcRootProblem(rootProblem)] };
  const cpuBasis = config.cpu?.basis.kind === "lifetime" ? config.cpu.basis : { kind: "window" as const, windowMs: config.intervalMs };
  const setup = prepareSetup(
    {
      procRoot: config.procRoot,
      excludeRoots: [process.pid],
      ...(config.cpu === undefined ? {} : { cpu: { ...config.cpu, basis: cpuBasis } }),
      ...(config.security === undefined ? {} : { security: config.security }),
    },
    config.rules,
    makeInterpreterSet(config.interpreters),
    deps.accounts,
    { alwaysMeasureCpu: true },
  );
  if (isProblem(setup)) return { problems: [`${escapeText(config.origin)}: ${escapeText(setup.reason)}`] };
  if (setup.cpu === undefined) throw new Error("bug: the daemon's setup has no CPU settings");
  return { config, settings: { rules: config.rules, setup: { ...setup, cpu: setup.cpu }, forCycles: config.forCycles, intervalMs: config.intervalMs, resourceGroups: config.export.resourceMetrics } };
}

/** Pure: the scan's own measurement, detail fields read during the scan (cycle.ts); a request
 * reads nothing, so every format of one scan tells the same story. */
export function formatObservation(obs: Observation, format: OutputFormat, accounts: Accounts): Formatted {
  const notes = confirmationNotes(obs.settings.forCycles, obs.settings.intervalMs);
  return formatMeasurement(obs.measurement, { format, detailLimit: DAEMON_DETAIL_LIMIT, notes }, accounts);
}

/** The scan as the structured document check --from renders itself (output/verdicts-doc.ts),
 * from the scan's own measurement: its detail fields were read during the scan (cycle.ts). */
function observationDocument(obs: Observation, format: OutputFormat, detailLimit: number, accounts: Accounts): string {
  const scan = { seq: obs.seq, atMs: obs.atMs, durationMs: obs.durationMs, intervalMs: obs.settings.intervalMs };
  return encodeVerdicts(obs.measurement, { scan, format, detailLimit, forCycles: obs.settings.forCycles }, accounts);
}

export function describeConfig(config: DaemonConfig): string {
  const parts = [
    `${config.rules.length} rule(s) from ${escapeText(config.origin)}`,
    `every ${formatDuration(config.intervalMs)}`,
    config.forCycles > 1 ? `failures after ${config.forCycles} scans` : "",
    config.cpu?.maxPercent === undefined ? "" : `CPU limit ${config.cpu.maxPercent}%`,
    config.security === undefined ? "" : `security: ${config.security.checks.join(",")}`,
  ];
  return parts.filter((p) => p !== "").join(", ");
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Answers rendered from the latest scan, kept until the next one: /verdicts may be asked many
 * times per interval, and every answer of one scan is the same. An answer renders only what its
 * Observation holds (its own settings included), so a reload changes none of them.
 */
function renderedPerScan(): <T>(obs: Observation, key: string, render: () => T) => T {
  let scan: Observation | undefined;
  let answers = new Map<string, unknown>();
  return <T>(obs: Observation, key: string, render: () => T): T => {
    if (obs !== scan) {
      scan = obs;
      answers = new Map();
    }
    if (!answers.has(key)) answers.set(key, render());
    return answers.get(key) as T;
  };
}
