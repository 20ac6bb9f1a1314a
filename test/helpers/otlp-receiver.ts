// Test-only: a loopback OTLP/HTTP metrics receiver standing in for a collector. Decodes OTLP/JSON
// and protobuf exports (optionally gzipped) into one plain structure, and can play a failing
// collector (any status, Retry-After, a request never answered); over HTTPS, optionally demanding
// a client certificate (mutual TLS). Binds 127.0.0.1 only, never holds the test process open,
// and stops by itself after `lifetimeMs`.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { decodeMetricsRequest } from "./otlp-schema.js";

export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;
export type MetricKind = "gauge" | "sum" | "histogram" | "exponential_histogram" | "summary";

/** Count, sum and buckets of a histogram (exponential and summary points: count/sum/min/max only). */
export interface Distribution {
  readonly count: number;
  readonly sum: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** Upper bounds of the explicit buckets; bucketCounts has one more entry (the +Inf bucket). */
  readonly bounds: readonly number[];
  readonly bucketCounts: readonly number[];
}

export interface OtlpPoint {
  readonly attributes: Attributes;
  /** asDouble or asInt; for histogram-like points the sum (NaN when the sender left it out). */
  readonly value: number;
  /** Decimal nanoseconds since the epoch, kept as text: a double cannot hold them exactly. */
  readonly timeUnixNano: string;
  readonly distribution: Distribution | undefined;
}

export interface OtlpMetric {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly kind: MetricKind;
  /** Sums and histograms only; gauges carry no temporality on the wire. */
  readonly temporality: "delta" | "cumulative" | undefined;
  /** Sums only. */
  readonly monotonic: boolean | undefined;
  readonly points: readonly OtlpPoint[];
}

/** One ScopeMetrics of a request, with the resource of its ResourceMetrics copied in. */
export interface OtlpScopeMetrics {
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version: string };
  readonly metrics: readonly OtlpMetric[];
}

export interface OtlpRequest {
  /** 1-based arrival order. */
  readonly seq: number;
  /** Date.now() when the request arrived (before its body was read). */
  readonly receivedAtMs: number;
  /** Request headers, lower-case names (test traffic: secrets here are the test's own). */
  readonly headers: Readonly<Record<string, string>>;
  /** Subject CN of the client certificate, over mutual TLS; undefined otherwise. */
  readonly clientCertCn: string | undefined;
  readonly method: string;
  readonly path: string;
  /** The Content-Type header as sent ("" when absent). */
  readonly contentType: string;
  /** The Content-Encoding header ("identity" when absent). */
  readonly contentEncoding: string;
  readonly userAgent: string;
  /** Body size on the wire, before gunzip. */
  readonly bodyBytes: number;
  /** The status answered, or "hung" for a request deliberately left unanswered. */
  readonly response: number | "hung";
  /** The decoded export; undefined when the request could not be decoded (see `error`). */
  readonly scopes: readonly OtlpScopeMetrics[] | undefined;
  readonly error: string | undefined;
}

/** A request the receiver accepted (answered 200): what a collector would have ingested. */
export interface OtlpExport extends OtlpRequest {
  readonly scopes: readonly OtlpScopeMetrics[];
}

export interface OtlpReceiverOptions {
  /** Stop by itself after this long, so a crashed test never leaves it behind. Default 10 min. */
  readonly lifetimeMs?: number;
  /** Serve HTTPS with this key and certificate (PEM); with `ca`, demand a client certificate signed by it. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer };
}

export interface ScriptOptions {
  /** Misbehave for this many requests, then accept again. Default: until reset(). */
  readonly times?: number;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / the exporter's `url`: http(s)://127.0.0.1:PORT/v1/metrics */
  readonly url: string;
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the SDK appends /v1/metrics): http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Every request so far, including rejected and hung ones. */
  requests(): readonly OtlpRequest[];
  /** The accepted exports so far, oldest first. */
  exports(): readonly OtlpExport[];
  /** Answer `status` (e.g. 503, or 429 with { "Retry-After": "1" }) with an empty body. */
  respondWith(status: number, headers?: Readonly<Record<string, string>>, options?: ScriptOptions): void;
  /** Read requests fully but never answer them (until stop()). */
  hang(options?: ScriptOptions): void;
  /** Back to accepting every decodable export with 200. */
  reset(): void;
  /** First export (already seen or yet to come) matching; rejects after timeoutMs listing what was seen. */
  waitFor(predicate: (e: OtlpExport) => boolean, timeoutMs: number): Promise<OtlpExport>;
  /** Same over all requests, e.g. to see a hung or rejected one arrive. */
  waitForRequest(predicate: (r: OtlpRequest) => boolean, timeoutMs: number): Promise<OtlpRequest>;
  /** Value of the newest point of `metricName` whose attributes include `subset`, over accepted exports. */
  latestValue(metricName: string, subset?: Attributes): number | undefined;
  /** Date.now() when the sender gave up on a hung request (closed its connection); undefined while open. */
  hungClosedAt(seq: number): number | undefined;
  /** Closes the listener, destroys every connection (hung ones too) and rejects pending waits. */
  stop(): Promise<void>;
}

// Loopback test traffic; anything this large is a bug in the sender, not an export.
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_LIFETIME_MS = 10 * 60 * 1000;

type Script = { readonly kind: "answer"; readonly status: number; readonly headers: Readonly<Record<string, string>> } | { readonly kind: "hang" };

interface Waiter {
  readonly predicate: (r: OtlpRequest) => boolean;
  readonly resolve: (r: OtlpRequest) => void;
  readonly reject: (e: Error) => void;
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const seen: OtlpRequest[] = [];
  const waiters = new Set<Waiter>();
  const hung = new Set<ServerResponse>();
  const hungClosed = new Map<number, number>();
  let script: Script | undefined;
  let scriptLeft = 0;
  let stopped = false;

  function record(r: OtlpRequest): void {
    seen.push(r);
    for (const w of waiters) {
      if (w.predicate(r)) {
        waiters.delete(w);
        w.resolve(r);
      }
    }
  }

  function takeScript(): Script | undefined {
    if (script === undefined) return undefined;
    const current = script;
    if (--scriptLeft <= 0) script = undefined;
    return current;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAtMs = Date.now();
    const socket = req.socket as Partial<TLSSocket>;
    const peer = typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined;
    const cn = peer?.subject?.CN;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v ?? ""]));
    const body = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    const contentEncoding = req.headers["content-encoding"] ?? "identity";
    const base = {
      seq: seen.length + 1, receivedAtMs, headers, clientCertCn: Array.isArray(cn) ? cn.join(",") : cn, method: req.method ?? "", path: req.url ?? "", contentType, contentEncoding,
      userAgent: req.headers["user-agent"] ?? "", bodyBytes: body?.length ?? 0,
    };
    const decoded = body === undefined ? { status: 413, error: `body over ${MAX_BODY_BYTES} bytes` } : decodeRequest(req, body);
    const scopes = "scopes" in decoded ? decoded.scopes : undefined;
    const error = "error" in decoded ? decoded.error : undefined;
    // A scripted collector misbehaves before looking at the payload, as an overloaded one would.
    const scripted = takeScript();
    if (scripted?.kind === "hang") {
      hung.add(res);
      const seq = base.seq;
      res.on("close", () => {
        hung.delete(res);
        if (!stopped) hungClosed.set(seq, Date.now());
      });
      record({ ...base, response: "hung", scopes, error });
      return;
    }
    const status = scripted?.status ?? decoded.status;
    const media = mediaType(contentType);
    if (status === 200) {
      // An empty ExportMetricsServiceResponse: {} in JSON, zero bytes in protobuf.
      res.writeHead(200, { "content-type": media === "application/json" ? "application/json" : "application/x-protobuf" });
      res.end(media === "application/json" ? "{}" : "");
    } else {
      res.writeHead(status, { "content-type": "text/plain", ...scripted?.headers });
      res.end(error ?? `scripted ${status}`);
    }
    record({ ...base, response: status, scopes, error });
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      // A client that disconnects mid-body is the test's business (e.g. a timed-out exporter); the
      // request never completed, so there is nothing to record.
      if (!res.headersSent) res.destroy(err instanceof Error ? err : undefined);
    });
  };
  const tls = options.tls;
  const server = tls === undefined
    ? createServer(onRequest)
    : createTlsServer({ key: tls.key, cert: tls.cert, ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) }, onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  // Never keep a test process alive on our account; whatever a test awaits holds its own handle.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const lifetime = setTimeout(() => void stop(), options.lifetimeMs ?? DEFAULT_LIFETIME_MS);
  lifetime.unref();

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    clearTimeout(lifetime);
    for (const w of waiters) w.reject(new Error(`OTLP receiver stopped while waiting; ${describeSeen(seen)}`));
    waiters.clear();
    for (const res of hung) res.destroy();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  function waitForRequest(predicate: (r: OtlpRequest) => boolean, timeoutMs: number, what = "OTLP request"): Promise<OtlpRequest> {
    const already = seen.find(predicate);
    if (already !== undefined) return Promise.resolve(already);
    if (stopped) return Promise.reject(new Error(`OTLP receiver is stopped; ${describeSeen(seen)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no ${what} matched within ${timeoutMs} ms; ${describeSeen(seen)}`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      waiters.add(waiter);
    });
  }

  const exportsSoFar = (): OtlpExport[] => seen.filter(isAccepted);

  return {
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}/v1/metrics`,
    endpoint: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    requests: () => [...seen],
    exports: exportsSoFar,
    respondWith(status, headers = {}, { times = Infinity } = {}) {
      script = { kind: "answer", status, headers };
      scriptLeft = times;
    },
    hang({ times = Infinity } = {}) {
      script = { kind: "hang" };
      scriptLeft = times;
    },
    reset() {
      script = undefined;
    },
    waitFor: (predicate, timeoutMs) =>
      waitForRequest((r) => isAccepted(r) && predicate(r), timeoutMs, "accepted OTLP export") as Promise<OtlpExport>,
    waitForRequest: (predicate, timeoutMs) => waitForRequest(predicate, timeoutMs),
    latestValue(metricName, subset = {}) {
      for (const e of exportsSoFar().reverse()) {
        const points = findPoints(e, metricName, subset);
        const last = points[points.length - 1];
        if (last !== undefined) return last.value;
      }
      return undefined;
    },
    hungClosedAt: (seq) => hungClosed.get(seq),
    stop,
  };
}

/** Points of `metricName` in one export whose attributes include every entry of `subset`. */
export function findPoints(e: { readonly scopes: readonly OtlpScopeMetrics[] | undefined }, metricName: string, subset: Attributes = {}): OtlpPoint[] {
  return (e.scopes ?? []).flatMap((s) => s.metrics).filter((m) => m.name === metricName).flatMap((m) => m.points)
    .filter((p) => Object.entries(subset).every(([k, v]) => p.attributes[k] === v));
}

function isAccepted(r: OtlpRequest): r is OtlpExport {
  return r.response === 200 && r.scopes !== undefined;
}

/** Resolves undefined when the body is over the limit (the rest is drained, not stored). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined;
}

function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

type Decoded = { readonly status: 200; readonly scopes: OtlpScopeMetrics[] } | { readonly status: number; readonly error: string };

/** Status codes follow the OTLP/HTTP spec: 400 for a payload that does not decode (not retried). */
function decodeRequest(req: IncomingMessage, body: Buffer): Decoded {
  if (req.method !== "POST") return { status: 405, error: `method ${req.method ?? "?"} (only POST)` };
  if (req.url !== "/v1/metrics") return { status: 404, error: `path ${req.url ?? "?"} (only /v1/metrics)` };
  const encoding = req.headers["content-encoding"] ?? "identity";
  if (encoding !== "identity" && encoding !== "gzip") return { status: 415, error: `content-encoding ${encoding}` };
  const media = mediaType(req.headers["content-type"] ?? "");
  if (media !== "application/json" && media !== "application/x-protobuf") return { status: 415, error: `content-type "${media}"` };
  try {
    const raw = encoding === "gzip" ? gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES }) : body;
    const message = media === "application/json" ? JSON.parse(raw.toString("utf8")) as unknown : decodeMetricsRequest(raw);
    return { status: 200, scopes: normaliseRequest(message as JsonRequest) };
  } catch (err) {
    return { status: 400, error: `undecodable ${media}${encoding === "gzip" ? " (gzip)" : ""}: ${(err as Error).message}` };
  }
}

// ---- OTLP/JSON shape → plain records. The protobuf path arrives here in the same shape (see
// otlp-schema.ts). OTLP/JSON allows 64-bit integers as strings or numbers, enums as numbers (we
// also take the names), and NaN/Infinity doubles as strings, so every number goes through toNumber.

type Int64 = string | number;
interface JsonAnyValue {
  stringValue?: string; boolValue?: boolean; intValue?: Int64; doubleValue?: number | string; bytesValue?: string;
  arrayValue?: { values?: JsonAnyValue[] }; kvlistValue?: { values?: JsonKeyValue[] };
}
interface JsonKeyValue { key: string; value?: JsonAnyValue }
interface JsonPoint {
  attributes?: JsonKeyValue[]; timeUnixNano?: Int64; asDouble?: number | string; asInt?: Int64;
  count?: Int64; sum?: number | string; min?: number | string; max?: number | string; bucketCounts?: Int64[]; explicitBounds?: (number | string)[];
}
interface JsonData { dataPoints?: JsonPoint[]; aggregationTemporality?: number | string; isMonotonic?: boolean }
interface JsonMetric {
  name?: string; unit?: string; description?: string;
  gauge?: JsonData; sum?: JsonData; histogram?: JsonData; exponentialHistogram?: JsonData; summary?: JsonData;
}
interface JsonRequest {
  resourceMetrics?: { resource?: { attributes?: JsonKeyValue[] }; scopeMetrics?: { scope?: { name?: string; version?: string }; metrics?: JsonMetric[] }[] }[];
}

function normaliseRequest(request: JsonRequest): OtlpScopeMetrics[] {
  if (typeof request !== "object" || request === null) throw new Error("not an ExportMetricsServiceRequest object");
  return (request.resourceMetrics ?? []).flatMap((rm) => {
    const resource = normaliseAttributes(rm.resource?.attributes);
    return (rm.scopeMetrics ?? []).map((sm) => ({
      resource,
      scope: { name: sm.scope?.name ?? "", version: sm.scope?.version ?? "" },
      metrics: (sm.metrics ?? []).map(normaliseMetric),
    }));
  });
}

const KINDS = [
  ["gauge", "gauge"], ["sum", "sum"], ["histogram", "histogram"],
  ["exponentialHistogram", "exponential_histogram"], ["summary", "summary"],
] as const;

function normaliseMetric(m: JsonMetric): OtlpMetric {
  const found = KINDS.find(([field]) => m[field] !== undefined);
  if (found === undefined) throw new Error(`metric "${m.name ?? ""}" has no gauge/sum/histogram/exponentialHistogram/summary data`);
  const [field, kind] = found;
  const data = m[field] ?? {};
  const isNumber = kind === "gauge" || kind === "sum";
  return {
    name: m.name ?? "", unit: m.unit ?? "", description: m.description ?? "", kind,
    temporality: kind === "gauge" || kind === "summary" ? undefined : normaliseTemporality(data.aggregationTemporality),
    monotonic: kind === "sum" ? data.isMonotonic === true : undefined,
    points: (data.dataPoints ?? []).map((p) => ({
      attributes: normaliseAttributes(p.attributes),
      value: isNumber ? toNumber(p.asDouble ?? p.asInt) : toNumber(p.sum),
      timeUnixNano: String(p.timeUnixNano ?? "0"),
      distribution: isNumber ? undefined : {
        count: toNumber(p.count ?? 0), sum: optionalNumber(p.sum), min: optionalNumber(p.min), max: optionalNumber(p.max),
        bounds: (p.explicitBounds ?? []).map(toNumber), bucketCounts: (p.bucketCounts ?? []).map(toNumber),
      },
    })),
  };
}

function normaliseTemporality(t: number | string | undefined): "delta" | "cumulative" | undefined {
  if (t === 1 || t === "AGGREGATION_TEMPORALITY_DELTA") return "delta";
  if (t === 2 || t === "AGGREGATION_TEMPORALITY_CUMULATIVE") return "cumulative";
  return undefined;
}

function normaliseAttributes(kvs: JsonKeyValue[] | undefined): Attributes {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, normaliseAnyValue(kv.value)]));
}

/** Scalars as themselves; bytes as base64 text; arrays and maps as JSON text (rare in metrics). */
function normaliseAnyValue(v: JsonAnyValue | undefined): AttributeValue {
  if (v === undefined) return "";
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined || v.doubleValue !== undefined) return toNumber(v.intValue ?? v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return JSON.stringify((v.arrayValue.values ?? []).map(normaliseAnyValue));
  if (v.kvlistValue !== undefined) return JSON.stringify(normaliseAttributes(v.kvlistValue.values));
  return "";
}

/** 64-bit integers past 2^53 lose precision here; metric values in tests stay far below. */
function toNumber(v: number | string | undefined): number {
  return v === undefined ? Number.NaN : Number(v);
}

function optionalNumber(v: number | string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/** One line per request, so a failed wait shows what did arrive instead of just "timed out". */
function describeSeen(seen: readonly OtlpRequest[]): string {
  if (seen.length === 0) return "saw no requests at all";
  const lines = seen.map((r) => {
    const head = `#${r.seq} ${r.method} ${r.path} ${r.contentType || "(no content-type)"} ${r.contentEncoding} → ${r.response}`;
    if (r.error !== undefined) return `${head}: ${r.error}`;
    const points = (r.scopes ?? []).flatMap((s) => s.metrics.flatMap((m) => m.points.map((p) => `${m.name}${formatAttributes(p.attributes)}=${p.value}`)));
    if (points.length === 0) return `${head}: no points`;
    return `${head}: ${points.slice(0, 20).join(", ")}${points.length > 20 ? `, … (${points.length} points)` : ""}`;
  });
  return `saw ${seen.length} request(s):\n  ${lines.join("\n  ")}`;
}

function formatAttributes(a: Attributes): string {
  const entries = Object.entries(a);
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}
