// The shipped alerting and example configs the otel-config tests read, and the names those
// configs may use: derived from the metric table (src/telemetry/instruments.ts), never listed here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { ATTR, INSTRUMENTS } from "../../src/telemetry/instruments.js";
import { grafanaVariableNames, promqlNames, type PromqlNames } from "./promql.js";

/** The repository root (tests run from DIST/test/otel-config/). */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

export const PATHS = {
  prometheusConfig: join(REPO, "otel-config/prometheus/prometheus.yml"),
  prometheusOtelcolConfig: join(REPO, "otel-config/prometheus/prometheus-otelcol.yml"),
  rules: join(REPO, "otel-config/prometheus/procwatch-alerts.yml"),
  ruleTests: join(REPO, "otel-config/prometheus/procwatch-alerts.test.yml"),
  alertmanager: join(REPO, "otel-config/alertmanager/alertmanager.yml"),
  collectorPrometheus: join(REPO, "otel-config/collector/otelcol-prometheus.yaml"),
  collectorRemoteWrite: join(REPO, "otel-config/collector/otelcol-remote-write.yaml"),
  dashboard: join(REPO, "otel-config/grafana/procwatch-dashboard.json"),
  systemdUnit: join(REPO, "examples/systemd/procwatch.service"),
  mailConfig: join(REPO, "examples/mail-server/procwatch.yaml"),
  mailMon: join(REPO, "examples/mail-server/mon.cf"),
} as const;

export const TOOLS = {
  promtool: "/usr/bin/promtool",
  amtool: "/usr/bin/amtool",
  systemdAnalyze: "/usr/bin/systemd-analyze",
} as const;

export const INSTALL = {
  prometheus: "apt-get install prometheus (promtool)",
  alertmanager: "apt-get install prometheus-alertmanager (amtool)",
  systemd: "apt-get install systemd (systemd-analyze)",
} as const;

export function readYaml(path: string): unknown {
  return parse(readFileSync(path, "utf8"));
}

/** OTel attribute → Prometheus label, as the JS exporter and the Collector sanitise it. */
export function labelName(attribute: string): string {
  return attribute.replace(/[^A-Za-z0-9_]+/g, "_");
}

/** Every metric name a query may use: the table's names on both paths, histogram series, target_info, up. */
export function allowedMetrics(): Set<string> {
  const names = new Set(["target_info", "up"]);
  for (const spec of Object.values(INSTRUMENTS)) {
    const bases: string[] = [spec.prometheusName];
    if ("collectorName" in spec) bases.push(spec.collectorName);
    for (const base of bases) {
      if (spec.kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(base + suffix);
      else names.add(base);
    }
  }
  return names;
}

/**
 * Every label a query may use: the table's attributes, the labels Prometheus and the exporters
 * add to every series (job, instance, otel_scope_*; le on histogram buckets), and target_info's
 * resource attributes as exporters.ts sets them (service.*, host.* with the host detector's).
 */
export function allowedLabels(): Set<string> {
  const labels = new Set(["job", "instance", "otel_scope_name", "otel_scope_version", "le"]);
  for (const attribute of Object.values(ATTR)) labels.add(labelName(attribute));
  for (const spec of Object.values(INSTRUMENTS)) for (const attribute of spec.attributes) labels.add(labelName(attribute));
  for (const resource of ["service.name", "service.version", "service.instance.id", "host.name", "host.id", "host.arch"]) {
    labels.add(labelName(resource));
  }
  return labels;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const file = readYaml(PATHS.rules) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

export interface DashboardQuery {
  /** Where it is, for messages: "panel 3 (Failing rules) A" or "variable host". */
  readonly where: string;
  /** The PromQL to check: a target's expression, or the selector of a label_values() variable. */
  readonly expr: string;
  readonly names: PromqlNames;
}

interface DashboardJson {
  readonly panels: readonly { id: number; title?: string; targets?: readonly { refId: string; expr: string }[] }[];
  readonly templating: { readonly list: readonly { name: string; type: string; query?: unknown }[] };
}

export function readDashboard(): DashboardJson {
  return JSON.parse(readFileSync(PATHS.dashboard, "utf8")) as DashboardJson;
}

/** Every PromQL query of the dashboard: panel targets, then query variables (label_values). */
export function dashboardQueries(): DashboardQuery[] {
  const dashboard = readDashboard();
  const queries: DashboardQuery[] = [];
  for (const panel of dashboard.panels) {
    for (const t of panel.targets ?? []) {
      queries.push({ where: `panel ${panel.id} (${panel.title ?? ""}) ${t.refId}`, expr: t.expr, names: promqlNames(t.expr) });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const query = String(variable.query);
    const selector = /^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query)?.[1] ?? query;
    queries.push({ where: `variable ${variable.name}`, expr: selector, names: grafanaVariableNames(query) });
  }
  return queries;
}
