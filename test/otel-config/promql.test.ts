// The PromQL name finder the metric-name test relies on: one line per case.
import assert from "node:assert/strict";
import { test } from "node:test";
import { grafanaVariableNames, promqlNames } from "./promql.js";

const cases: [string, string[], string[]][] = [
  ["up", ["up"], []],
  ['up{job="procwatch"} == 0', ["up"], ["job"]],
  ['procwatch_rule_status{procwatch_rule_name=~"a,b=c"} == 2', ["procwatch_rule_status"], ["procwatch_rule_name"]],
  ["sum by (job, le) (rate(x_bucket[5m]))", ["x_bucket"], ["job", "le"]],
  ["sum(rate(x_total[$__rate_interval])) without (instance)", ["x_total"], ["instance"]],
  ["a * on (job, instance) group_left (host_name) topk by (job, instance) (1, target_info)", ["a", "target_info"], ["job", "instance", "host_name"]],
  ["a < ignoring (procwatch_limit_type) b unless c > bool 1", ["a", "b", "c"], ["procwatch_limit_type"]],
  ["histogram_quantile(0.95, x) * 60 and y offset 5m", ["x", "y"], []],
  ['count(m{l="has \\"quote\\" and {brace}"}) or vector(0)', ["m"], ["l"]],
  ['{__name__="by_name", job="j"}', ["by_name"], ["job"]],
  ["absent(procwatch_scans_total)", ["procwatch_scans_total"], []],
  ["1e3 + .5 * inf", [], []],
];

test("promqlNames finds metric and label names", () => {
  for (const [expr, metrics, labels] of cases) {
    const names = promqlNames(expr);
    assert.deepEqual([...names.metrics].sort(), [...metrics].sort(), expr);
    assert.deepEqual([...names.labels].sort(), [...labels].sort(), expr);
  }
});

test("promqlNames records equality matchers with their values", () => {
  const names = promqlNames('a{x="1", y=~"2", z!="3"} and b{x="4"}');
  assert.deepEqual(names.equalities, [{ label: "x", value: "1" }, { label: "x", value: "4" }]);
});

test("grafanaVariableNames reads label_values(selector, label)", () => {
  const names = grafanaVariableNames('label_values(target_info{job=~"$job"}, host_name)');
  assert.deepEqual([...names.metrics], ["target_info"]);
  assert.deepEqual([...names.labels].sort(), ["host_name", "job"]);
});
