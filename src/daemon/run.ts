// `procwatch run`: the receiver daemon. Owns the process-wide things of the daemon face: the scan
// timer, signals, the listener and the telemetry pipeline; everything it decides comes from the
// same measure/judge code as `procwatch check`. Logs to stderr, one line per event, never per process.
import type { Server } from "node:http";
import type { Accounts } from "../system/accounts.js";
import type { ConfigProblem, DaemonConfig } from "../config/types.js";
import { formatProblem } from "../config/types.js";
import { makeInterpreterSet } from "../evaluate/names.js";
import { withDetails } from "../measure/detail.js";
import { createScanner, type Observation, type ScanProgram } from "../measure/cycle.js";
import { prepareSetup } from "../measure/setup.js";
import type { Formatted, OutputFormat } from "../output/format.js";
import { detailPolicy, formatMeasurement } from "../output/measurement.js";
import { formatDuration } from "../rules/duration.js";
import { startTelemetry } from "../telemetry/exporters.js";
import { publishObservations } from "../telemetry/publish.js";
import { createAfterScanCollector } from "./collect.js";
import { startServer } from "./server.js";

export interface DaemonDeps {
  /** Loads (or reloads, on SIGHUP) the whole configuration: file, command-line rules and flags. */
  readonly load: () => { readonly config: DaemonConfig } | { readonly problems: readonly ConfigProblem[] };
  readonly accounts: Accounts;
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}


/** Process lines per failing rule in /verdicts, as check's --detail-limit default. */
const DETAIL_LIMIT = 10;

/** How long SIGTERM waits for the last export before exiting anyway (a dead collector). */
const SHUTDOWN_WAIT_MS = 5000;

/** Runs until SIGTERM/SIGINT; resolves with the exit code. Config problems: 1 before any scan. */
export async function runDaemon(deps: DaemonDeps): Promise<number> {
  const first = loadProgram(deps);
  if ("problems" in first) {
    for (const p of first.problems) deps.log(p);
    return 1;
  }
  let { config, program } = first;
  const scanner = createScanner(program);
  const collectGarbage = createAfterScanCollector();
  let latest: Observation | undefined;
  const telemetry = startTelemetry({ export: config.export, scanIntervalMs: config.intervalMs, version: deps.version, log: deps.log, env: deps.env });
  const publisher = publishObservations(telemetry.meter, {
    latest: () => latest,
    exportFailures: () => telemetry.exportFailures(),
    accounts: deps.accounts,
    topProcesses: config.export.topProcesses,
  });
  const cache = new Map<string, Formatted>();
  let server: Server;
  const listen = config.export.prometheus;
  try {
    server = await startServer(listen.host, listen.port, {
      ...(telemetry.metricsHandler === undefined ? {} : { metricsHandler: telemetry.metricsHandler }),
      verdicts: (format) => {
        if (latest === undefined) return undefined;
        const obs = latest;
        const key = `${obs.seq}/${format}`;
        let formatted = cache.get(key);
        if (formatted === undefined) {
          if (cache.size > 6) cache.clear();
          formatted = formatObservation(obs, format, deps.accounts);
          cache.set(key, formatted);
        }
        return { scan: { seq: obs.seq, atMs: obs.atMs, durationMs: obs.durationMs, intervalMs: obs.program.intervalMs }, formatted };
      },
    });
  } catch (err) {
    deps.log(`cannot listen on ${hostPort(listen.host, listen.port)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    await telemetry.shutdown(SHUTDOWN_WAIT_MS);
    return 1;
  }
  // The bound port, not the configured one: port 0 (tests) picks a free port.
  const bound = server.address();
  const port = bound !== null && typeof bound === "object" ? bound.port : listen.port;
  deps.log(`started: ${describeConfig(config)}; listening on http://${hostPort(listen.host, port)}`
    + ` (${telemetry.metricsHandler === undefined ? "" : "/metrics, "}/verdicts)`);

  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> = Promise.resolve();
  const scanOnce = async (): Promise<void> => {
    const obs = await scanner.scan();
    latest = obs;
    publisher.recordScan(obs);
    collectGarbage?.();
  };
  const schedule = (delayMs: number): void => {
    if (stop.signal.aborted) return;
    // A timeout chain, not setInterval: a slow scan never overlaps the next one.
    timer = setTimeout(() => {
      const startedAt = Date.now();
      scanning = scanOnce().catch((err: unknown) => {
        // A bug, not a /proc condition (those are classified in the reader): crash loudly.
        queueMicrotask(() => {
          throw err;
        });
      }).finally(() => schedule(Math.max(0, program.intervalMs - (Date.now() - startedAt))));
    }, delayMs);
  };
  schedule(0);

  process.on("SIGHUP", () => {
    const next = loadProgram(deps);
    if ("problems" in next) {
      deps.log(`reload failed, keeping the running configuration: ${next.problems.length} problem(s)`);
      for (const p of next.problems) deps.log(p);
      return;
    }
    if (JSON.stringify(next.config.export) !== JSON.stringify(config.export)) {
      deps.log("reload: export settings changed; they take effect on restart");
    }
    config = next.config;
    program = next.program;
    scanner.reprogram(program);
    cache.clear();
    deps.log(`reloaded: ${describeConfig(config)}`);
  });

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  stop.abort();
  clearTimeout(timer);
  deps.log(`${signal}: flushing metrics (at most ${formatDuration(SHUTDOWN_WAIT_MS)}) and exiting`);
  await Promise.race([scanning, new Promise((resolve) => setTimeout(resolve, 1000))]);
  await telemetry.shutdown(SHUTDOWN_WAIT_MS);
  server.closeAllConnections();
  server.close();
  return 0;
}

type Loaded = { config: DaemonConfig; program: ScanProgram } | { problems: string[] };

/** The configuration and what the scanner runs, or every problem formatted (also for `validate`). */
export function loadProgram(deps: Pick<DaemonDeps, "load" | "accounts">): Loaded {
  const loaded = deps.load();
  if ("problems" in loaded) return { problems: loaded.problems.map(formatProblem) };
  const config = loaded.config;
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
  if (typeof setup === "string") return { problems: [`${config.origin}: ${setup}`] };
  if (setup.cpu === undefined) throw new Error("bug: the daemon's setup has no CPU settings");
  return { config, program: { rules: config.rules, setup: { ...setup, cpu: setup.cpu }, forCycles: config.forCycles, intervalMs: config.intervalMs, resourceGroups: config.export.resourceMetrics } };
}

function formatObservation(obs: Observation, format: OutputFormat, accounts: Accounts): Formatted {
  const notes = obs.program.forCycles > 1 ? [`(failed in ${obs.program.forCycles} consecutive scans ${formatDuration(obs.program.intervalMs)} apart)`] : [];
  const detailed = withDetails(obs.measurement, obs.program.setup.procRoot, detailPolicy(format, { detailLimit: DETAIL_LIMIT }));
  return formatMeasurement(detailed, { format, detailLimit: DETAIL_LIMIT, notes }, accounts);
}

export function describeConfig(config: DaemonConfig): string {
  const parts = [
    `${config.rules.length} rule(s) from ${config.origin}`,
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
