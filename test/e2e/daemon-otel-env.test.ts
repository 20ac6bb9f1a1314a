// procwatch run configured only through the OpenTelemetry environment variables: a collector
// behind a private CA that demands a client certificate (mutual TLS, certificates made with
// openssl), headers, compression, the default protocol, resource variables, and the switches
// that turn exporting off (OTEL_SDK_DISABLED, OTEL_METRICS_EXPORTER).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startDaemon, type DaemonProcess } from "../helpers/daemon.js";
import { haveTools } from "../helpers/e2e.js";
import { findPoints, startOtlpReceiver } from "../helpers/otlp-receiver.js";
import { makeCertificates, OPENSSL } from "../helpers/tls-certs.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function scans(d: DaemonProcess): Promise<number> {
  const body = JSON.parse((await d.get("/verdicts")).body) as { scan?: { seq: number } };
  return body.scan?.seq ?? 0;
}

test("mutual TLS to a collector behind a private CA, from OTEL_EXPORTER_OTLP_* alone: protobuf by default, headers, gzip, service name and resource attributes", async (t) => {
  if (!haveTools(t, [OPENSSL], "apt-get install openssl")) return;
  const dir = mkdtempSync(join(tmpdir(), "pw-mtls-"));
  dirs.push(dir);
  const certs = makeCertificates(dir, "procwatch-client");
  const receiver = await startOtlpReceiver({ tls: { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca) } });
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_CERTIFICATE: certs.ca,
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCert,
      OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: certs.clientKey,
      OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=generic,x-scope=generic",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-tenant=ops%20team",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
      OTEL_METRIC_EXPORT_INTERVAL: "500",
      OTEL_SERVICE_NAME: "procwatch-edge",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=staging",
    },
  });
  try {
    const got = await receiver.waitFor((e) => findPoints(e, "procwatch.scans").length > 0, 15_000);
    assert.equal(got.clientCertCn, "procwatch-client");
    assert.equal(got.contentType, "application/x-protobuf");
    assert.equal(got.contentEncoding, "gzip");
    // Signal-specific headers merged over generic ones, percent-decoded.
    assert.equal(got.headers["x-tenant"], "ops team");
    assert.equal(got.headers["x-scope"], "generic");
    const resource = got.scopes[0]?.resource ?? {};
    assert.equal(resource["service.name"], "procwatch-edge");
    assert.equal(resource["deployment.environment.name"], "staging");
    assert.match(String(resource["service.instance.id"]), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(d.log.filter((l) => / failing: /.test(l)), []);
  } finally {
    await d.stop();
    await receiver.stop();
  }
});

test("without OTEL_EXPORTER_OTLP_CERTIFICATE the private CA is not trusted, and the one failure line says so", async (t) => {
  if (!haveTools(t, [OPENSSL], "apt-get install openssl")) return;
  const dir = mkdtempSync(join(tmpdir(), "pw-mtls-"));
  dirs.push(dir);
  const certs = makeCertificates(dir, "procwatch-client");
  const receiver = await startOtlpReceiver({ tls: { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca) } });
  const noCa = await startDaemon(["--interval", "1s", "pwnothing:0-"], {
    env: { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: "500" },
  });
  try {
    await noCa.until("the failure logged", () => noCa.log.find((l) => / failing: /.test(l)), 20_000);
    // Without OTEL_EXPORTER_OTLP_CERTIFICATE the private CA is unknown.
    assert.match(noCa.log.find((l) => / failing: /.test(l)) ?? "", /self-signed certificate|unable to get local issuer/);
    assert.equal(receiver.exports().length, 0);
  } finally {
    await noCa.stop();
    await receiver.stop();
  }
});

test("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT bounds an export: a collector that never answers is given up on after it, not after the push interval", async () => {
  const receiver = await startOtlpReceiver();
  receiver.hang({ times: 1 });
  // Pushes every 3 s: without the variable the exporter would wait the whole 3 s.
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: "3000", OTEL_EXPORTER_OTLP_TIMEOUT: "9000", OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "600" },
  });
  try {
    const hung = await receiver.waitForRequest((r) => r.response === "hung", 15_000);
    const closedAt = await d.until("the exporter giving up", () => receiver.hungClosedAt(hung.seq), 10_000);
    const waited = closedAt - hung.receivedAtMs;
    assert.ok(waited < 2000, `the hung export was abandoned after ${waited} ms (timeout 600 ms, push interval 3000 ms)`);
    await d.until("the failure logged", () => d.log.find((l) => / failing: .*timed out/i.test(l)));
  } finally {
    await d.stop();
    await receiver.stop();
  }
});

for (const [what, env] of [
  ["OTEL_SDK_DISABLED=true", { OTEL_SDK_DISABLED: "true" }],
  ["OTEL_METRICS_EXPORTER=none", { OTEL_METRICS_EXPORTER: "none" }],
] as const) {
  test(`${what}: nothing is pushed and /metrics is off, though a collector is configured; /verdicts still answers`, async () => {
    const receiver = await startOtlpReceiver();
    const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: "500", ...env },
    });
    try {
      await d.until("three scans", async () => ((await scans(d)) >= 3 ? true : undefined));
      assert.equal((await d.get("/metrics")).status, 404);
      assert.deepEqual(receiver.requests(), []);
    } finally {
      await d.stop();
      await receiver.stop();
    }
  });
}

test("OTEL_METRICS_EXPORTER=otlp: pushes, and /metrics is off", async () => {
  const receiver = await startOtlpReceiver();
  const d = await startDaemon(["--interval", "1s", "pwnothing:0-"], {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: "500", OTEL_METRICS_EXPORTER: "otlp" },
  });
  try {
    await receiver.waitFor((e) => findPoints(e, "procwatch.scans").length > 0, 15_000);
    assert.equal((await d.get("/metrics")).status, 404);
  } finally {
    await d.stop();
    await receiver.stop();
  }
});
