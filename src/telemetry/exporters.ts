// The OTel plumbing: one MeterProvider with an OTLP/HTTP push reader and a Prometheus pull reader
// (either may be off). Owns the exporters' failure reporting: one log line when exports start
// failing and one when they recover, never one per cycle. Knows nothing about /proc or rules.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Meter } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPMetricExporter as OtlpJsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OtlpProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { defaultResource, detectResources, envDetector, hostDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality, InstrumentType, type MetricReader, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { ExportSettings } from "../config/types.js";

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
  /** OTLP exports that failed for good since start. */
  exportFailures(): number;
  /** Flushes and stops; resolves after at most `timeoutMs` even if the collector never answers. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * With cumulative temporality the SDK keeps exporting a gauge series that is no longer observed
 * at its last value forever (opentelemetry-js #2997, #4096): a dead runaway's CPU series would
 * stay at 300%. Gauges carry no temporality on the wire, so asking for DELTA on them changes
 * nothing for consumers except that unobserved series stop. Sums stay as the exporter wants.
 */
export function gaugeAwareTemporality(type: InstrumentType, otherwise: AggregationTemporality): AggregationTemporality {
  return type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE ? AggregationTemporality.DELTA : otherwise;
}

class ProcwatchPrometheusExporter extends PrometheusExporter {
  override selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return gaugeAwareTemporality(type, AggregationTemporality.CUMULATIVE);
  }
}

/** Wraps the OTLP exporter to see every final result (after its own retries). */
/** The collector's last HTTP answer, for the log: the exporter reports a 429 or 5xx that
 * outlived its retries only as "retryable status", and the operator needs the status. */
function statusRecordingAgent(protocol: string, seen: { last?: string }): HttpAgent {
  const agent = protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  // addRequest is how every request reaches an agent (agent-base and proxy agents hook it too).
  const hooked = agent as unknown as { addRequest(req: ClientRequest, options: object): void };
  const addRequest = hooked.addRequest.bind(agent);
  hooked.addRequest = (req, options) => {
    req.once("response", (res: IncomingMessage) => {
      seen.last = `HTTP ${res.statusCode ?? "?"}${res.statusMessage === undefined || res.statusMessage === "" ? "" : ` ${res.statusMessage}`}`;
    });
    addRequest(req, options);
  };
  return agent;
}

class ReportingExporter implements PushMetricExporter {
  failures = 0;
  private failing = false;
  private failedSince = 0;

  constructor(
    private readonly inner: PushMetricExporter,
    private readonly target: string,
    private readonly log: (line: string) => void,
    private readonly answer: { last?: string },
  ) {}

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failing) this.log(`OTLP export to ${this.target} recovered after ${this.failedSince} failed exports`);
        this.failing = false;
        this.failedSince = 0;
      } else {
        this.failures++;
        this.failedSince++;
        if (!this.failing) this.log(`OTLP export to ${this.target} failing: ${this.reason(result.error)} (logged once until it recovers)`);
        this.failing = true;
      }
      done(result);
    });
  }

  private reason(error: Error | undefined): string {
    const message = error?.message ?? "unknown error";
    // Only a retryable status lacks the HTTP status; a timeout or refusal says it all itself.
    return /retryable status/.test(message) && this.answer.last !== undefined ? `${message} (${this.answer.last})` : message;
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return gaugeAwareTemporality(type, this.inner.selectAggregationTemporality?.(type) ?? AggregationTemporality.CUMULATIVE);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
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
    const intervalMs = otlpSettings.intervalMs ?? envMs(options.env, "OTEL_METRIC_EXPORT_INTERVAL") ?? options.scanIntervalMs;
    // The reader refuses a timeout above the interval; a timeout near it lets retries overlap.
    const timeoutMs = Math.min(otlpSettings.timeoutMs ?? envMs(options.env, "OTEL_METRIC_EXPORT_TIMEOUT") ?? 5000, intervalMs);
    // Options given in code win over OTEL_EXPORTER_OTLP_*: pass the URL only when configured.
    const answer: { last?: string } = {};
    const exporterOptions = {
      timeoutMillis: timeoutMs,
      httpAgentOptions: (protocol: string) => statusRecordingAgent(protocol, answer),
      ...(otlpSettings.endpoint === undefined ? {} : { url: otlpSettings.endpoint }),
    };
    const inner = otlpSettings.protocol === "http/protobuf" ? new OtlpProtoExporter(exporterOptions) : new OtlpJsonExporter(exporterOptions);
    otlp = new ReportingExporter(inner, otlpSettings.endpoint ?? otlpTarget(options.env), options.log, answer);
    readers.push(new PeriodicExportingMetricReader({ exporter: otlp, exportIntervalMillis: intervalMs, exportTimeoutMillis: timeoutMs }));
  }
  const host = hostname();
  const resource = defaultResource()
    .merge(resourceFromAttributes({
      "service.name": "procwatch", "service.version": options.version, "service.instance.id": host, "host.name": host, ...machineId(),
    }))
    // Last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override; adds host.arch.
    .merge(detectResources({ detectors: [hostDetector, envDetector] }));
  const provider = new MeterProvider({ resource, readers });
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

/** host.id read at start: the host detector reads it asynchronously, and the Prometheus exporter
 * serialises target_info without waiting for such attributes, so it never showed there. */
function machineId(): { "host.id"?: string } {
  for (const path of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      const id = readFileSync(path, "utf8").trim();
      if (id !== "") return { "host.id": id };
    } catch {
      // absent in some containers: try the next, else no host.id
    }
  }
  return {};
}

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || !/^\d+$/.test(text.trim()) || Number(text) <= 0) return undefined;
  return Number(text);
}

/** Where the exporter will send, as the OTLP exporter derives it from the environment (for logs). */
function otlpTarget(env: NodeJS.ProcessEnv): string {
  const specific = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (specific !== undefined && specific !== "") return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base !== undefined && base !== "") return `${base.replace(/\/$/, "")}/v1/metrics`;
  return "http://localhost:4318/v1/metrics";
}
