// The OTel plumbing: one MeterProvider with an OTLP/HTTP push reader (otlp.ts) and a Prometheus
// pull reader (either may be off). Knows nothing about /proc or rules.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Meter } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { AggregationTemporality, type InstrumentType, type MetricReader, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import type { ExportSettings } from "../config/types.js";
import { createOtlpExporter, type ReportingExporter } from "./otlp.js";
import { buildResource } from "./resource.js";
import { gaugeAwareTemporality } from "./temporality.js";

export { gaugeAwareTemporality } from "./temporality.js";

export interface TelemetryOptions {
  readonly export: ExportSettings;
  /** The scan interval: the default push interval (pushing more often repeats the same scan). */
  readonly scanIntervalMs: number;
  readonly version: string;
  readonly log: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

export interface Telemetry {
  readonly meter: Meter;
  /** Serves /metrics in the Prometheus text format; absent when that export is off. */
  readonly metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** OTLP exports whose points were dropped (failed, or deferred for a Retry-After) since start. */
  exportFailures(): number;
  /** Flushes and stops; resolves after at most `timeoutMs` even if the collector never answers. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** procwatch's default exporter timeout: below the default 10 s push interval, so a slow
 * collector's retries end before the next push (the spec's 10 s would let them overlap). */
const DEFAULT_EXPORT_TIMEOUT_MS = 5000;

class ProcwatchPrometheusExporter extends PrometheusExporter {
  override selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return gaugeAwareTemporality(type, AggregationTemporality.CUMULATIVE);
  }
}

/** The push timings: interval, the reader's bound on one export, the exporter's (retries included). */
export function otlpTimings(settings: ExportSettings["otlp"], scanIntervalMs: number): { intervalMs: number; readerTimeoutMs: number; timeoutMs: number } {
  const intervalMs = settings.intervalMs ?? scanIntervalMs;
  // The reader refuses a timeout above the interval; the exporter's beyond the reader's would
  // keep retrying an export the reader already gave up on.
  const readerTimeoutMs = Math.min(settings.exportTimeoutMs ?? intervalMs, intervalMs);
  const timeoutMs = Math.min(settings.timeoutMs ?? DEFAULT_EXPORT_TIMEOUT_MS, readerTimeoutMs);
  return { intervalMs, readerTimeoutMs, timeoutMs };
}

export function startTelemetry(options: TelemetryOptions): Telemetry {
  const readers: MetricReader[] = [];
  let prometheus: ProcwatchPrometheusExporter | undefined;
  if (options.export.prometheus.enabled) {
    // Mounted in the daemon's own listener (with /verdicts); never the exporter's default 0.0.0.0.
    prometheus = new ProcwatchPrometheusExporter({ preventServerStart: true, host: options.export.prometheus.host, port: options.export.prometheus.port });
    readers.push(prometheus);
  }
  let otlp: ReportingExporter | undefined;
  const otlpSettings = options.export.otlp;
  if (otlpSettings.enabled) {
    const t = otlpTimings(otlpSettings, options.scanIntervalMs);
    otlp = createOtlpExporter(otlpSettings, { timeoutMs: t.timeoutMs }, options.log);
    readers.push(new PeriodicExportingMetricReader({ exporter: otlp, exportIntervalMillis: t.intervalMs, exportTimeoutMillis: t.readerTimeoutMs }));
  }
  const provider = new MeterProvider({ resource: buildResource(options.version, options.env), readers });
  return {
    meter: provider.getMeter("procwatch", options.version),
    ...(prometheus === undefined ? {} : { metricsHandler: prometheus.getMetricsRequestHandler.bind(prometheus) }),
    exportFailures: () => otlp?.failures ?? 0,
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      // shutdown() flushes the OTLP reader; a dead collector would hold it for the exporter's
      // whole retry budget, so the deadline wins and the caller exits anyway.
      await Promise.race([provider.shutdown().catch(() => undefined), deadline]);
      clearTimeout(timer);
    },
  };
}
