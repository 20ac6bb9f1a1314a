// Proves the loopback OTLP receiver (test/helpers/otlp-receiver.ts) decodes what the real OTel SDK
// exporters send, in JSON and protobuf, plain and gzipped, and that a scripted bad collector (503,
// 429 + Retry-After, a hang) looks to the exporter exactly like a real one would.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { ValueType } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, MetricReader, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { findPoints, startOtlpReceiver, type OtlpExport, type OtlpReceiver } from "../helpers/otlp-receiver.js";
import { encodeMetricsRequest } from "../helpers/otlp-schema.js";

/** Hands collected metrics to the test instead of exporting them itself. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One collection with a gauge (int and double), a counter and a histogram, attributes and a resource. */
async function collectSample(): Promise<ResourceMetrics> {
  const reader = new ManualReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "procwatch-test", "service.version": "9.9.9", "test.port": 4318, "test.flag": true }),
    readers: [reader],
  });
  const meter = provider.getMeter("procwatch", "1.2.3");
  const status = meter.createObservableGauge("procwatch.rule.status", { description: "0 OK, 2 CRIT", valueType: ValueType.INT });
  status.addCallback((r) => {
    r.observe(2, { "procwatch.rule.name": "sshd" });
    r.observe(0, { "procwatch.rule.name": "cron" });
  });
  meter.createObservableGauge("procwatch.rule.cpu.utilization", { unit: "1" })
    .addCallback((r) => r.observe(0.25, { "procwatch.rule.name": "sshd" }));
  const errors = meter.createCounter("procwatch.scan.errors", { unit: "{error}", valueType: ValueType.INT });
  errors.add(3, { "procwatch.error.type": "vanished" });
  errors.add(1, { "procwatch.error.type": "permission_denied" });
  const duration = meter.createHistogram("procwatch.scan.duration", { unit: "s", advice: { explicitBucketBoundaries: [0.01, 0.1, 1] } });
  for (const s of [0.005, 0.05, 0.5, 2]) duration.record(s);
  const { resourceMetrics, errors: collectErrors } = await reader.collect();
  assert.deepEqual(collectErrors, []);
  await provider.shutdown();
  return resourceMetrics;
}

// The compression option's type is an enum of otlp-exporter-base, which procwatch does not depend on
// directly; its runtime value is the plain string.
type Compression = NonNullable<NonNullable<ConstructorParameters<typeof JsonExporter>[0]>["compression"]>;
const GZIP = "gzip" as unknown as Compression;

type Encoding = "json" | "protobuf";

function makeExporter(t: TestContext, encoding: Encoding, url: string, opts: { timeoutMillis: number; gzip?: boolean }): PushMetricExporter {
  const config = { url, timeoutMillis: opts.timeoutMillis, ...(opts.gzip === true ? { compression: GZIP } : {}) };
  const exporter = encoding === "json" ? new JsonExporter(config) : new ProtoExporter(config);
  t.after(() => exporter.shutdown());
  return exporter;
}

async function startReceiver(t: TestContext): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.stop());
  return receiver;
}

/** The exporter's own timeoutMillis bounds the export; the guard only catches a broken exporter. */
function exportOnce(exporter: PushMetricExporter, metrics: ResourceMetrics, guardMs = 15_000): Promise<ExportResult> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`export gave no result within ${guardMs} ms`)), guardMs);
    exporter.export(metrics, (result) => {
      clearTimeout(guard);
      resolve(result);
    });
  });
}

function metric(e: OtlpExport, name: string) {
  const found = e.scopes.flatMap((s) => s.metrics).find((m) => m.name === name);
  assert.ok(found, `metric ${name} missing`);
  return found;
}

const sample = await collectSample();

const encodings: [Encoding, boolean, string, string][] = [
  ["json", false, "application/json", "identity"],
  ["json", true, "application/json", "gzip"],
  ["protobuf", false, "application/x-protobuf", "identity"],
  ["protobuf", true, "application/x-protobuf", "gzip"],
];

for (const [encoding, gzip, contentType, contentEncoding] of encodings) {
  test(`decodes a real ${encoding} export (${contentEncoding})`, async (t) => {
    const receiver = await startReceiver(t);
    const result = await exportOnce(makeExporter(t, encoding, receiver.url, { timeoutMillis: 5000, gzip }), sample);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));

    const e = await receiver.waitFor(() => true, 5000);
    assert.equal(e.contentType, contentType);
    assert.equal(e.contentEncoding, contentEncoding);
    assert.match(e.userAgent, /^OTel-OTLP-Exporter-JavaScript\//);
    assert.equal(e.scopes.length, 1);
    const [scope] = e.scopes;
    assert.deepEqual(scope?.scope, { name: "procwatch", version: "1.2.3" });
    assert.deepEqual(scope?.resource, { "service.name": "procwatch-test", "service.version": "9.9.9", "test.port": 4318, "test.flag": true });

    const status = metric(e, "procwatch.rule.status");
    assert.deepEqual([status.kind, status.unit, status.description, status.temporality, status.monotonic], ["gauge", "", "0 OK, 2 CRIT", undefined, undefined]);
    assert.deepEqual(status.points.map((p) => [p.attributes, p.value]), [[{ "procwatch.rule.name": "sshd" }, 2], [{ "procwatch.rule.name": "cron" }, 0]]);
    assert.match(status.points[0]?.timeUnixNano ?? "", /^\d{19}$/);
    assert.deepEqual(findPoints(e, "procwatch.rule.cpu.utilization").map((p) => p.value), [0.25]);

    const errors = metric(e, "procwatch.scan.errors");
    assert.deepEqual([errors.kind, errors.unit, errors.temporality, errors.monotonic], ["sum", "{error}", "cumulative", true]);
    assert.equal(receiver.latestValue("procwatch.scan.errors", { "procwatch.error.type": "vanished" }), 3);
    assert.equal(receiver.latestValue("procwatch.scan.errors", { "procwatch.error.type": "permission_denied" }), 1);
    assert.equal(receiver.latestValue("procwatch.scan.errors", { "procwatch.error.type": "parse" }), undefined);

    const duration = metric(e, "procwatch.scan.duration");
    assert.deepEqual([duration.kind, duration.unit, duration.temporality], ["histogram", "s", "cumulative"]);
    assert.deepEqual(duration.points.map((p) => p.distribution), [{ count: 4, sum: 2.555, min: 0.005, max: 2, bounds: [0.01, 0.1, 1], bucketCounts: [1, 1, 1, 1] }]);
    assert.equal(duration.points[0]?.value, 2.555);
  });
}

// OTLP/JSON lets senders write 64-bit integers as strings and special doubles as "NaN"; the JS
// exporter never does, so a hand-written body covers what another SDK or a Collector could send.
test("decodes OTLP/JSON with string integers, a delta histogram and an empty-value gauge", async (t) => {
  const receiver = await startReceiver(t);
  const body = {
    resourceMetrics: [{
      resource: { attributes: [{ key: "host.id", value: { intValue: "9007199254740993" } }, { key: "raw", value: { bytesValue: "AQI=" } }] },
      scopeMetrics: [{
        scope: { name: "other" },
        metrics: [
          { name: "g", gauge: { dataPoints: [{ asInt: "7", timeUnixNano: "1700000000000000001", attributes: [{ key: "n", value: { intValue: "42" } }] }, { asDouble: "NaN" }] } },
          { name: "h", histogram: { aggregationTemporality: 1, dataPoints: [{ count: "3", sum: 1.5, bucketCounts: ["1", "2"], explicitBounds: [1] }] } },
        ],
      }],
    }],
  };
  const response = await fetch(receiver.url, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {});
  const [e] = receiver.exports();
  assert.ok(e);
  assert.deepEqual(e.scopes[0]?.resource, { "host.id": 9007199254740992, raw: "AQI=" }, "past 2^53 precision is lost, as documented");
  assert.deepEqual(e.scopes[0]?.scope, { name: "other", version: "" });
  assert.deepEqual(findPoints(e, "g").map((p) => [p.attributes, p.value, p.timeUnixNano]), [[{ n: 42 }, 7, "1700000000000000001"], [{}, Number.NaN, "0"]]);
  const h = metric(e, "h");
  assert.deepEqual([h.temporality, h.points[0]?.distribution], ["delta", { count: 3, sum: 1.5, min: undefined, max: undefined, bounds: [1], bucketCounts: [1, 2] }]);
});

test("waitFor resolves on a later export, and a miss lists what was seen", async (t) => {
  const receiver = await startReceiver(t);
  const pending = receiver.waitFor((e) => findPoints(e, "procwatch.rule.status", { "procwatch.rule.name": "sshd" }).length > 0, 5000);
  await exportOnce(makeExporter(t, "json", receiver.url, { timeoutMillis: 5000 }), sample);
  assert.equal((await pending).seq, 1);
  await assert.rejects(receiver.waitFor((e) => findPoints(e, "no.such.metric").length > 0, 50), {
    message: /^no accepted OTLP export matched within 50 ms; saw 1 request\(s\):\n {2}#1 POST \/v1\/metrics application\/json identity → 200: procwatch\.rule\.status\{procwatch\.rule\.name="sshd"\}=2, /,
  });
});

test("a scripted 503 makes the export fail, and nothing counts as accepted", async (t) => {
  const receiver = await startReceiver(t);
  receiver.respondWith(503);
  // 503 is retryable, but the first backoff (~1 s) is past the 500 ms budget: one attempt, then FAILED.
  const result = await exportOnce(makeExporter(t, "protobuf", receiver.url, { timeoutMillis: 500 }), sample);
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.equal(result.error?.message, "Export failed with retryable status");
  assert.deepEqual(receiver.requests().map((r) => r.response), [503]);
  assert.ok(receiver.requests()[0]?.scopes, "the refused payload is still decoded for inspection");
  assert.deepEqual(receiver.exports(), []);
});

test("429 with Retry-After: 1 once: the exporter waits, retries and succeeds", async (t) => {
  const receiver = await startReceiver(t);
  receiver.respondWith(429, { "Retry-After": "1" }, { times: 1 });
  const result = await exportOnce(makeExporter(t, "json", receiver.url, { timeoutMillis: 5000 }), sample);
  assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
  assert.deepEqual(receiver.requests().map((r) => r.response), [429, 200]);
  assert.equal(receiver.exports().length, 1);
});

test("429 with a Retry-After past the timeout: the exporter gives up instead of its own 1 s retry", async (t) => {
  const receiver = await startReceiver(t);
  receiver.respondWith(429, { "Retry-After": "120" });
  const result = await exportOnce(makeExporter(t, "protobuf", receiver.url, { timeoutMillis: 3000 }), sample);
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.deepEqual(receiver.requests().map((r) => r.response), [429]);
});

test("hang: the request arrives, is never answered, and the export times out", async (t) => {
  const receiver = await startReceiver(t);
  receiver.hang();
  const result = await exportOnce(makeExporter(t, "json", receiver.url, { timeoutMillis: 300 }), sample);
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.equal(result.error?.message, "Request timed out");
  const hung = await receiver.waitForRequest((r) => r.response === "hung", 1000);
  assert.equal(findPoints(hung, "procwatch.rule.status", { "procwatch.rule.name": "sshd" })[0]?.value, 2);
  assert.deepEqual(receiver.exports(), []);
});

test("stop() ends a hung request and rejects pending waits", async (t) => {
  const receiver = await startReceiver(t);
  receiver.hang();
  const response = fetch(receiver.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}", signal: AbortSignal.timeout(5000) });
  await receiver.waitForRequest((r) => r.response === "hung", 5000);
  // Both outcomes are attached before stop() settles them, so neither counts as unhandled.
  const destroyed = assert.rejects(response, { name: "TypeError" }, "the hung connection is destroyed, not left to time out");
  const abandoned = assert.rejects(receiver.waitFor(() => true, 5000), { message: /^OTLP receiver stopped while waiting; saw 1 request\(s\):\n {2}#1 POST \/v1\/metrics application\/json identity → hung: no points$/ });
  await receiver.stop();
  await destroyed;
  await abandoned;
});

test("stops by itself after its lifetime", async () => {
  const receiver = await startOtlpReceiver({ lifetimeMs: 50 });
  await assert.rejects(receiver.waitForRequest(() => false, 5000), { message: /^OTLP receiver stopped while waiting; saw no requests/ });
  await assert.rejects(fetch(receiver.url, { method: "POST", signal: AbortSignal.timeout(5000) }), { name: "TypeError" });
});

const rejections: [string, RequestInit & { path?: string }, number, RegExp][] = [
  ["GET", { method: "GET" }, 405, /^method GET/],
  ["wrong path", { method: "POST", path: "/v1/traces", headers: { "content-type": "application/json" }, body: "{}" }, 404, /^path \/v1\/traces/],
  ["text/plain", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }, 415, /^content-type "text\/plain"/],
  ["bad JSON", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }, 400, /^undecodable application\/json: /],
  ["bad protobuf", { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array([0x0a, 0xff]) }, 400, /^undecodable application\/x-protobuf: /],
  ["metric without data", {
    method: "POST", headers: { "content-type": "application/x-protobuf" },
    body: Buffer.from(encodeMetricsRequest({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "empty" }] }] }] })),
  }, 400, /metric "empty" has no gauge/],
];

for (const [name, { path = "/v1/metrics", ...init }, status, error] of rejections) {
  test(`rejects ${name} with ${status} and records why`, async (t) => {
    const receiver = await startReceiver(t);
    const response = await fetch(`${receiver.endpoint}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
    assert.equal(response.status, status);
    await response.arrayBuffer();
    const [request] = receiver.requests();
    assert.equal(request?.response, status);
    assert.match(request?.error ?? "", error);
  });
}
