// procwatch run exporting OTLP/HTTP to a loopback receiver that decodes what it gets (JSON and
// protobuf, see helpers/otlp-receiver.ts): names, attributes and values for real processes, and
// a collector that is down, failing, throttling or never answering.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { after, test } from "node:test";
import { freePort, sample, startDaemon, type DaemonProcess } from "../helpers/daemon.js";
import { findPoints, startOtlpReceiver } from "../helpers/otlp-receiver.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";
import { uuidV5 } from "../../src/telemetry/resource.js";

/** The namespace semconv prescribes for a service.instance.id made from a stable id. */
const INSTANCE_NAMESPACE = "4d63009a-8d0f-11ee-aad7-4c796ed8e320";

const pool = new ProcessPool();
after(() => pool.cleanup());

/** The daemon exporting every 500 ms to `url`; no security or CPU checks (config-free rules only
 * would still load the defaults, so the defaults stay: they must export too). */
function otlpEnv(url: string, protocol: "http/json" | "http/protobuf", intervalMs = 500): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: url, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol, OTEL_METRIC_EXPORT_INTERVAL: String(intervalMs) };
}

const failingLines = (d: DaemonProcess): string[] => d.log.filter((l) => / failing: /.test(l));
const recoveredLines = (d: DaemonProcess): string[] => d.log.filter((l) => / recovered after /.test(l));

async function scanSeq(d: DaemonProcess): Promise<number> {
  const body = JSON.parse((await d.get("/verdicts")).body) as { scan?: { seq: number } };
  return body.scan?.seq ?? 0;
}

for (const protocol of ["http/json", "http/protobuf"] as const) {
  test(`OTLP ${protocol}: a watched process is exported as 1, then 0 when killed, then 1 again, with the resource and scope`, async () => {
    const receiver = await startOtlpReceiver();
    const name = uniqueName("ot");
    const first = await pool.start(name);
    const d = await startDaemon(["--interval", "1s", `${name}:1-1`], { env: otlpEnv(receiver.url, protocol) });
    try {
      const rule = { "procwatch.rule.name": name };
      const seen = await receiver.waitFor((e) => findPoints(e, "procwatch.rule.process.count", rule).some((p) => p.value === 1), 15_000);
      assert.equal(seen.contentType, protocol === "http/json" ? "application/json" : "application/x-protobuf");
      const scope = seen.scopes.find((s) => s.metrics.some((m) => m.name === "procwatch.rule.process.count"));
      assert.ok(scope !== undefined);
      assert.equal(scope.scope.name, "procwatch");
      assert.equal(scope.resource["service.name"], "procwatch");
      assert.match(String(scope.resource["service.version"]), /^\d+\.\d+\.\d+$/);
      assert.equal(scope.resource["host.name"], hostname());
      // A UUID v5 (semconv service.instance.id) of machine-id and the service name, stable across restarts.
      const machine = existsSync("/etc/machine-id") ? readFileSync("/etc/machine-id", "utf8").trim() : hostname();
      assert.equal(scope.resource["service.instance.id"], uuidV5(INSTANCE_NAMESPACE, `${machine}/procwatch`));
      if (existsSync("/etc/machine-id")) assert.equal(scope.resource["host.id"], readFileSync("/etc/machine-id", "utf8").trim());
      const count = scope.metrics.find((m) => m.name === "procwatch.rule.process.count");
      assert.equal(count?.kind, "gauge");
      assert.equal(count?.unit, "{process}");
      // Per-rule series carry the rule only: no PID or command-line attributes.
      for (const p of count?.points ?? []) assert.deepEqual(Object.keys(p.attributes), ["procwatch.rule.name"]);
      const limits = findPoints(seen, "procwatch.rule.process.count.limit", rule);
      assert.deepEqual(limits.map((p) => [p.attributes["procwatch.limit.type"], p.value]).sort(), [["max", 1], ["min", 1]]);
      assert.equal(findPoints(seen, "procwatch.rule.status", rule)[0]?.value, 0);
      const scans = scope.metrics.find((m) => m.name === "procwatch.scans");
      assert.equal(scans?.kind, "sum");
      assert.equal(scans?.monotonic, true);

      await pool.kill(first);
      await receiver.waitFor((e) => findPoints(e, "procwatch.rule.process.count", rule).some((p) => p.value === 0)
        && findPoints(e, "procwatch.rule.status", rule).some((p) => p.value === 2), 15_000);
      await pool.start(name);
      await receiver.waitFor((e) => {
        const after0 = e.seq > 0 && findPoints(e, "procwatch.rule.process.count", rule).some((p) => p.value === 1);
        return after0 && receiver.latestValue("procwatch.rule.status", rule) === 0;
      }, 15_000);
      assert.deepEqual(failingLines(d), []);
    } finally {
      await d.stop();
      await receiver.stop();
    }
  });
}

test("a collector answering 503 is logged once when exports start failing and once when they recover; scanning never stops", async () => {
  const receiver = await startOtlpReceiver();
  receiver.respondWith(503);
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], { env: otlpEnv(receiver.url, "http/json") });
  try {
    await receiver.waitForRequest((r) => r.response === 503, 10_000);
    const seq = await scanSeq(d);
    await d.until("several failed exports and scans", async () => (receiver.requests().length >= 6 && (await scanSeq(d)) >= seq + 3 ? true : undefined), 20_000);
    await d.until("the failure logged", () => (failingLines(d).length > 0 ? true : undefined));
    assert.equal(failingLines(d).length, 1, d.log.join("\n"));
    assert.match(failingLines(d)[0] ?? "", /503/);
    const failures = sample((await d.get("/metrics")).body, "procwatch_export_failures_total") ?? 0;
    assert.ok(failures >= 1, `procwatch_export_failures_total ${failures}`);

    receiver.reset();
    await receiver.waitFor(() => true, 15_000);
    await d.until("the recovery logged", () => (recoveredLines(d).length > 0 ? true : undefined));
    assert.equal(recoveredLines(d).length, 1, d.log.join("\n"));
    assert.equal(failingLines(d).length, 1, d.log.join("\n"));
  } finally {
    await d.stop();
    await receiver.stop();
  }
});

test("429 with Retry-After is retried after the delay the collector asked for, without logging a failure", async () => {
  const receiver = await startOtlpReceiver();
  receiver.respondWith(429, { "Retry-After": "3" }, { times: 1 });
  // A long push interval, so the next request is the retry and not the next periodic export.
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], { env: otlpEnv(receiver.url, "http/json", 8000) });
  try {
    const throttled = await receiver.waitForRequest((r) => r.response === 429, 15_000);
    const throttledAt = Date.now();
    const retried = await receiver.waitForRequest((r) => r.seq > throttled.seq, 10_000);
    const waited = Date.now() - throttledAt;
    assert.equal(retried.response, 200);
    assert.ok(waited >= 2500, `retried after ${waited} ms, asked for 3 s`);
    assert.deepEqual(failingLines(d), []);
  } finally {
    await d.stop();
    await receiver.stop();
  }
});

for (const status of [429, 503]) {
  test(`${status} with a Retry-After longer than the exporter's timeout: no export before that time, one log line, cumulative sums carry on`, async () => {
    const receiver = await startOtlpReceiver();
    // Pushes every 500 ms, each export given 300 ms: the exporter's own retry cannot wait 4 s, so
    // only procwatch's deferral stands between the collector's request and the next push.
    const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], { env: { ...otlpEnv(receiver.url, "http/json"), OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "300" } });
    try {
      const before = await receiver.waitFor((e) => findPoints(e, "procwatch.scans").length > 0, 15_000);
      const scansBefore = findPoints(before, "procwatch.scans")[0]?.value ?? 0;
      receiver.respondWith(status, { "Retry-After": "4" }, { times: 1 });
      const throttled = await receiver.waitForRequest((r) => r.response === status, 15_000);
      const seqAtThrottle = await scanSeq(d);
      const next = await receiver.waitForRequest((r) => r.seq > throttled.seq, 15_000);
      const gap = next.receivedAtMs - throttled.receivedAtMs;
      assert.ok(gap >= 4000, `the next export came ${gap} ms after the ${status} with Retry-After: 4`);
      assert.equal(next.response, 200);
      // The sum kept counting while exports were deferred: the first one after carries every scan.
      const after = await receiver.waitFor((e) => e.seq >= next.seq, 5000);
      const scansAfter = findPoints(after, "procwatch.scans")[0]?.value ?? 0;
      assert.ok(scansAfter > scansBefore && scansAfter >= seqAtThrottle + 3, `procwatch.scans ${scansBefore} → ${scansAfter}, scan ${seqAtThrottle} at the ${status}`);
      await d.until("the recovery logged", () => (recoveredLines(d).length > 0 ? true : undefined));
      assert.equal(failingLines(d).length, 1, d.log.join("\n"));
      assert.match(failingLines(d)[0] ?? "", new RegExp(`HTTP ${status}.*Retry-After 4: no export before \\d{4}-\\d\\d-\\d\\dT`));
      const failures = sample((await d.get("/metrics")).body, "procwatch_export_failures_total") ?? 0;
      assert.ok(failures >= 2, `procwatch_export_failures_total ${failures}: the failed export and the deferred ones`);
    } finally {
      await d.stop();
      await receiver.stop();
    }
  });
}

test("a collector that never answers: scans and scrapes go on, one log line, and SIGTERM still exits 0 within the bounded wait", async () => {
  const receiver = await startOtlpReceiver();
  receiver.hang();
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], { env: { ...otlpEnv(receiver.url, "http/protobuf", 1000), OTEL_METRIC_EXPORT_TIMEOUT: "800" } });
  try {
    await receiver.waitForRequest((r) => r.response === "hung", 10_000);
    const seq = await scanSeq(d);
    await d.until("scans going on while exports hang", async () => ((await scanSeq(d)) >= seq + 3 ? true : undefined), 15_000);
    const scrape = await d.get("/metrics");
    assert.equal(scrape.status, 200);
    await d.until("the failure logged", () => (failingLines(d).length > 0 ? true : undefined), 10_000);
    assert.equal(failingLines(d).length, 1, d.log.join("\n"));
    const stopped = await d.stop("SIGTERM", 15_000);
    assert.deepEqual([stopped.code, stopped.signal], [0, null]);
    // 5 s is the flush budget; the rest is slack for a loaded machine.
    assert.ok(stopped.ms < 9000, `SIGTERM took ${stopped.ms} ms`);
  } finally {
    d.child.kill("SIGKILL");
    await receiver.stop();
  }
});

test("a collector that is down (connection refused) is logged once; SIGTERM exits 0 at once", async () => {
  const port = await freePort();
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], { env: otlpEnv(`http://127.0.0.1:${port}/v1/metrics`, "http/json") });
  try {
    await d.until("the failure logged", () => (failingLines(d).length > 0 ? true : undefined), 20_000);
    const seq = await scanSeq(d);
    await d.until("more scans", async () => ((await scanSeq(d)) >= seq + 2 ? true : undefined), 10_000);
    assert.equal(failingLines(d).length, 1, d.log.join("\n"));
    assert.match(failingLines(d)[0] ?? "", /ECONNREFUSED/);
    const stopped = await d.stop("SIGTERM", 15_000);
    assert.deepEqual([stopped.code, stopped.signal], [0, null]);
  } finally {
    d.child.kill("SIGKILL");
  }
});

test("SIGTERM flushes: the last scan's values reach the collector before the daemon exits", async () => {
  const receiver = await startOtlpReceiver();
  const name = uniqueName("fl");
  await pool.start(name);
  // A push interval far beyond the test: only the shutdown flush can deliver the export.
  const d = await startDaemon(["--interval", "1s", `${name}:1-`], { env: otlpEnv(receiver.url, "http/json", 600_000) });
  try {
    await d.until("a scan that saw the process", async () => (sample((await d.get("/metrics")).body, "procwatch_rule_process_count", { procwatch_rule_name: name }) === 1 ? true : undefined));
    assert.equal(receiver.exports().length, 0);
    const stopped = await d.stop("SIGTERM");
    assert.equal(stopped.code, 0);
    assert.equal(receiver.latestValue("procwatch.rule.process.count", { "procwatch.rule.name": name }), 1);
  } finally {
    d.child.kill("SIGKILL");
    await receiver.stop();
  }
});
