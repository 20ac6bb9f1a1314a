// Every metric and label the shipped alert rules and dashboard query is one procwatch exports
// (src/telemetry/instruments.ts), so a renamed instrument cannot leave a silent rule or an empty
// panel behind. Names come from the PromQL text (promql.ts); promtool checks the syntax elsewhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SECURITY_CHECKS } from "../../src/rules/security-checks.js";
import { ATTR } from "../../src/telemetry/instruments.js";
import { promqlNames, type PromqlNames } from "./promql.js";
import { alertRules, allowedLabels, allowedMetrics, dashboardQueries, labelName } from "./shipped.js";

/** Attribute values procwatch emits from a fixed set (publish.ts), checked where a query names one. */
const KNOWN_VALUES = new Map<string, ReadonlySet<string>>([
  [labelName(ATTR.check), new Set(SECURITY_CHECKS)],
  [labelName(ATTR.limitType), new Set(["min", "max"])],
  [labelName(ATTR.errorType), new Set(["vanished", "permission_denied", "parse", "other"])],
  [labelName(ATTR.exporter), new Set(["otlp"])],
]);

function problems(where: string, names: PromqlNames): string[] {
  const metrics = allowedMetrics();
  const labels = allowedLabels();
  const found: string[] = [];
  for (const m of names.metrics) if (!metrics.has(m)) found.push(`${where}: metric ${m} is not in INSTRUMENTS`);
  for (const l of names.labels) if (!labels.has(l)) found.push(`${where}: label ${l} is not an exported attribute`);
  for (const { label, value } of names.equalities) {
    const known = KNOWN_VALUES.get(label);
    if (known !== undefined && !known.has(value)) found.push(`${where}: ${label}="${value}" is never exported`);
  }
  return found;
}

test("alert rules query only exported metrics, labels and values", () => {
  const rules = alertRules();
  assert.ok(rules.length > 0);
  const found = rules.flatMap((r) => problems(`alert ${r.alert}`, promqlNames(r.expr)));
  assert.deepEqual(found, []);
});

test("alert annotations query only exported metrics and labels", () => {
  // Annotation templates run queries of their own: `... printf "METRIC{...}" ... | query`.
  const found: string[] = [];
  for (const r of alertRules()) {
    for (const [key, template] of Object.entries(r.annotations ?? {})) {
      for (const m of template.matchAll(/printf "((?:[^"\\]|\\.)*)"/g)) {
        const query = (m[1] as string).replace(/\\"/g, '"').replace(/%q/g, '"x"').replace(/%s/g, "");
        found.push(...problems(`alert ${r.alert} annotation ${key}`, promqlNames(query)));
      }
    }
  }
  assert.deepEqual(found, []);
});

test("dashboard queries use only exported metrics, labels and values", () => {
  const queries = dashboardQueries();
  assert.ok(queries.length > 10);
  const found = queries.flatMap((q) => problems(q.where, q.names));
  assert.deepEqual(found, []);
});

test("the dashboard shows every per-rule, CPU and security metric", () => {
  const used = new Set(dashboardQueries().flatMap((q) => [...q.names.metrics]));
  const wanted = [
    "procwatch_rule_status", "procwatch_rule_process_count", "procwatch_rule_process_count_limit",
    "procwatch_rule_cpu_usage", "procwatch_rule_cpu_usage_limit", "procwatch_runaway_process_count",
    "procwatch_runaway_cpu_usage", "procwatch_security_status", "procwatch_security_process_count",
  ];
  assert.deepEqual(wanted.filter((m) => !used.has(m)), []);
});

test("every security check has an alert of its own", () => {
  const checked = new Set(alertRules().flatMap((r) => promqlNames(r.expr).equalities
    .filter((e) => e.label === labelName(ATTR.check)).map((e) => e.value)));
  assert.deepEqual(SECURITY_CHECKS.filter((c) => !checked.has(c)), []);
});
