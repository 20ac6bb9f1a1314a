// The shipped OpenTelemetry Collector configs. No Collector binary is packaged for Debian 12 or
// npm, so they are not run: these checks parse them and hold them to what the alert rules assume
// (every pipeline component defined, memory_limiter first, loopback endpoints, host.name only
// on target_info, unit suffixes on).
import assert from "node:assert/strict";
import { test } from "node:test";
import { PATHS, readYaml } from "./shipped.js";

type Section = Record<string, Record<string, unknown> | null>;
interface CollectorConfig {
  receivers: Section;
  processors?: Section;
  exporters: Section;
  extensions?: Section;
  service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}

const configs = [
  { path: PATHS.collectorPrometheus, exporter: "prometheus" },
  { path: PATHS.collectorRemoteWrite, exporter: "prometheusremotewrite" },
] as const;

/** A component id is TYPE or TYPE/NAME; the type decides what it is. */
const typeOf = (id: string): string => id.split("/")[0] as string;

for (const { path, exporter } of configs) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const config = readYaml(path) as CollectorConfig;
  const metrics = config.service.pipelines.metrics;

  test(`${name}: every pipeline names defined components`, () => {
    const undefinedIds: string[] = [];
    for (const [pipeline, p] of Object.entries(config.service.pipelines)) {
      assert.match(pipeline, /^(metrics|traces|logs)(\/.+)?$/);
      for (const [kind, ids] of [["receivers", p.receivers], ["processors", p.processors ?? []], ["exporters", p.exporters]] as const) {
        const section = config[kind] ?? {};
        for (const id of ids) if (!(id in section)) undefinedIds.push(`${pipeline}: ${kind} ${id}`);
      }
    }
    for (const id of config.service.extensions ?? []) if (!(id in (config.extensions ?? {}))) undefinedIds.push(`extension ${id}`);
    assert.deepEqual(undefinedIds, []);
  });

  test(`${name}: a metrics pipeline from otlp to ${exporter}, memory_limiter first, then batch`, () => {
    assert.ok(metrics !== undefined, "no metrics pipeline");
    assert.deepEqual(metrics.receivers.map(typeOf), ["otlp"]);
    assert.deepEqual((metrics.processors ?? []).map(typeOf), ["memory_limiter", "batch"]);
    assert.deepEqual(metrics.exporters.map(typeOf), [exporter]);
  });

  test(`${name}: OTLP/HTTP on loopback port 4318, as procwatch's OTEL_EXPORTER_OTLP_ENDPOINT default expects`, () => {
    const otlp = config.receivers.otlp as { protocols: { http?: { endpoint?: string }; grpc?: unknown } };
    assert.equal(otlp.protocols.http?.endpoint, "127.0.0.1:4318");
    assert.equal(otlp.protocols.grpc, undefined, "procwatch speaks OTLP/HTTP only");
  });

  test(`${name}: resource attributes stay on target_info, where the alert rules join host_name`, () => {
    const e = config.exporters[exporter] as { resource_to_telemetry_conversion?: { enabled?: boolean }; target_info?: { enabled?: boolean } };
    assert.equal(e.resource_to_telemetry_conversion?.enabled, false);
    if (exporter === "prometheusremotewrite") assert.equal(e.target_info?.enabled, true);
  });

  test(`${name}: memory_limiter has a limit and a check interval`, () => {
    const m = config.processors?.memory_limiter as { check_interval?: string; limit_percentage?: number; limit_mib?: number };
    assert.match(m.check_interval ?? "", /^\d+(ms|s)$/);
    assert.ok((m.limit_percentage ?? 0) > 0 || (m.limit_mib ?? 0) > 0);
  });
}

test("otelcol-prometheus.yaml: loopback scrape endpoint with unit suffixes (the names the rules use)", () => {
  const e = (readYaml(PATHS.collectorPrometheus) as CollectorConfig).exporters.prometheus as Record<string, unknown>;
  assert.equal(e.endpoint, "127.0.0.1:8889");
  assert.equal(e.translation_strategy, "UnderscoreEscapingWithSuffixes");
  assert.match(String(e.metric_expiration), /^\d+m$/);
});

test("prometheus-otelcol.yml scrapes that endpoint with honor_labels (job and instance from the resource)", () => {
  const p = readYaml(PATHS.prometheusOtelcolConfig) as { scrape_configs: { honor_labels?: boolean; static_configs: { targets: string[] }[] }[] };
  const job = p.scrape_configs.find((s) => s.static_configs.some((c) => c.targets.includes("127.0.0.1:8889")));
  assert.equal(job?.honor_labels, true);
});
