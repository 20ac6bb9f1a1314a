// The OTLP/HTTP push exporter, built from resolved settings (config/otlp-env.ts read the
// environment), wrapped to see every final result: one log line when exports start failing and
// one when they recover, and a collector's Retry-After on 429/503 honoured across exports.
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { performance } from "node:perf_hooks";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPMetricExporter as OtlpJsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OtlpProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { AggregationTemporality, type InstrumentType, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { OtlpExport } from "../config/types.js";
import { gaugeAwareTemporality } from "./temporality.js";

export const DEFAULT_OTLP_URL = "http://localhost:4318/v1/metrics";

/** A collector that asks for more than this gets this: a typo must not silence metrics for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** The collector's last HTTP answer: the exporter reports a 429 or 5xx that outlived its retries
 * only as "retryable status", without the status or the Retry-After it came with. */
interface Answer {
  readonly status: number;
  readonly text: string;
  readonly retryAfter: string | undefined;
  /** performance.now() when the answer arrived. */
  readonly atMs: number;
  /** Date.now() at the same moment, for the log. */
  readonly wallMs: number;
}

/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date → ms from `nowMs`, capped. */
export function parseRetryAfter(text: string | undefined, nowMs: number): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, MAX_RETRY_AFTER_MS);
  // Every HTTP-date form starts with the day name; Date.parse alone would take "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(t)) return undefined;
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

function readTls(settings: OtlpExport): TlsFiles {
  const tls = settings.tls;
  if (tls === undefined) return {};
  // Checked readable when the config was loaded; a file gone since then is a start-up failure.
  const read = (f: { path: string } | undefined) => (f === undefined ? undefined : readFileSync(f.path));
  const ca = read(tls.ca);
  const cert = read(tls.cert);
  const key = read(tls.key);
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
}

/**
 * Our agent replaces the SDK's, which is the one that would have read OTEL_EXPORTER_OTLP_CERTIFICATE
 * and the client certificate and key: so they are passed here, from the resolved settings.
 */
function recordingAgent(protocol: string, tls: TlsFiles, seen: { last?: Answer }): HttpAgent {
  const agent = protocol === "https:" ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
  // addRequest is how every request reaches an agent (agent-base and proxy agents hook it too).
  const hooked = agent as unknown as { addRequest(req: ClientRequest, options: object): void };
  const addRequest = hooked.addRequest.bind(agent);
  hooked.addRequest = (req, options) => {
    req.once("response", (res: IncomingMessage) => {
      const header = res.headers["retry-after"];
      seen.last = {
        status: res.statusCode ?? 0,
        text: `HTTP ${res.statusCode ?? "?"}${res.statusMessage === undefined || res.statusMessage === "" ? "" : ` ${res.statusMessage}`}`,
        retryAfter: Array.isArray(header) ? header[0] : header,
        atMs: performance.now(),
        wallMs: Date.now(),
      };
    });
    addRequest(req, options);
  };
  return agent;
}

export interface OtlpTimeouts {
  /** The exporter's bound on one export with its retries. */
  readonly timeoutMs: number;
}

export function createOtlpExporter(settings: OtlpExport, timeouts: OtlpTimeouts, log: (line: string) => void): ReportingExporter {
  const answer: { last?: Answer } = {};
  const tls = readTls(settings);
  const url = settings.endpoint ?? DEFAULT_OTLP_URL;
  // Everything passed explicitly: options given in code win over the SDK's own reading of
  // OTEL_EXPORTER_OTLP_*, and ours are those variables already resolved (with the file on top).
  const options = {
    url,
    timeoutMillis: timeouts.timeoutMs,
    httpAgentOptions: (protocol: string) => recordingAgent(protocol, tls, answer),
    ...(settings.headers === undefined ? {} : { headers: { ...settings.headers } }),
    ...(settings.compression === undefined ? {} : { compression: settings.compression as never }),
  };
  const inner = settings.protocol === "http/protobuf" ? new OtlpProtoExporter(options) : new OtlpJsonExporter(options);
  return new ReportingExporter(inner, url, log, answer);
}

export class ReportingExporter implements PushMetricExporter {
  /** Exports whose points were dropped: failed after the exporter's retries, or deferred. */
  failures = 0;
  private failing = false;
  private failedSince = 0;
  /** performance.now() before which nothing is sent: the collector's Retry-After. */
  private notBeforeMs = 0;
  private notBeforeWall = 0;

  constructor(
    private readonly inner: PushMetricExporter,
    private readonly target: string,
    private readonly log: (line: string) => void,
    private readonly answer: { last?: Answer },
  ) {}

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    const startedAt = performance.now();
    if (startedAt < this.notBeforeMs) {
      // The collector asked us to wait. Dropping this export loses nothing a later one does not
      // carry: sums are cumulative (the SDK keeps adding while we wait) and gauges are last values.
      this.fail(new Error(`deferred: the collector asked not to send before ${new Date(this.notBeforeWall).toISOString()}`), undefined);
      done({ code: ExportResultCode.FAILED, error: new Error("deferred until the collector's Retry-After") });
      return;
    }
    this.inner.export(metrics, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failing) this.log(`OTLP export to ${this.target} recovered after ${this.failedSince} failed or deferred exports`);
        this.failing = false;
        this.failedSince = 0;
      } else {
        const last = this.answer.last;
        // Only an answer to this export counts (a stale one could belong to an earlier success).
        const own = last !== undefined && last.atMs >= startedAt ? last : undefined;
        const waitMs = own !== undefined && (own.status === 429 || own.status === 503) ? parseRetryAfter(own.retryAfter, own.wallMs) : undefined;
        if (own !== undefined && waitMs !== undefined) {
          this.notBeforeMs = own.atMs + waitMs;
          this.notBeforeWall = own.wallMs + waitMs;
        }
        this.fail(result.error, own === undefined ? undefined : { answer: own, waitMs });
      }
      done(result);
    });
  }

  private fail(error: Error | undefined, seen: { answer: Answer; waitMs: number | undefined } | undefined): void {
    this.failures++;
    this.failedSince++;
    if (!this.failing) {
      let reason = error?.message ?? "unknown error";
      // Only a retryable status lacks the HTTP status; a timeout or refusal says it all itself.
      if (seen !== undefined && /retryable status/.test(reason)) reason = `${reason} (${seen.answer.text})`;
      if (seen?.waitMs !== undefined) {
        reason += `; Retry-After ${seen.answer.retryAfter ?? ""}: no export before ${new Date(this.notBeforeWall).toISOString()}`
          + " (exports due meanwhile are skipped; cumulative sums catch up)";
      }
      this.log(`OTLP export to ${this.target} failing: ${reason} (logged once until it recovers)`);
    }
    this.failing = true;
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
