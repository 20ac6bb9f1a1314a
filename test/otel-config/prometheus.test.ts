// The shipped Prometheus configs, alert rules and rule unit tests, checked by the real promtool;
// the dashboard's PromQL goes through promtool too (as recording rules), so a syntax error in a
// panel fails here rather than as an empty panel.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { stringify } from "yaml";
import { runCommand } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";
import { alertRules, dashboardQueries, INSTALL, PATHS, readYaml, TOOLS } from "./shipped.js";

const TIMEOUT_MS = 20_000;
const tmp = mkdtempSync(join(tmpdir(), "pw-promtool-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function promtool(args: readonly string[]): Promise<string> {
  const r = await runCommand(TOOLS.promtool, args, { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  assert.equal(r.code, 0, `promtool ${args.join(" ")}:\n${r.stdout}`);
  return r.stdout;
}

for (const config of [PATHS.prometheusConfig, PATHS.prometheusOtelcolConfig]) {
  test(`promtool check config ${config.slice(config.lastIndexOf("/") + 1)} (and the rule file it loads)`, async (t) => {
    if (!haveTools(t, [TOOLS.promtool], INSTALL.prometheus)) return;
    const out = await promtool(["check", "config", config]);
    assert.match(out, /SUCCESS: 1 rule files found/);
  });
}

test("promtool check rules procwatch-alerts.yml", async (t) => {
  if (!haveTools(t, [TOOLS.promtool], INSTALL.prometheus)) return;
  const out = await promtool(["check", "rules", PATHS.rules]);
  assert.match(out, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
});

test("promtool test rules procwatch-alerts.test.yml", async (t) => {
  if (!haveTools(t, [TOOLS.promtool], INSTALL.prometheus)) return;
  await promtool(["test", "rules", PATHS.ruleTests]);
});

test("promtool rejects a broken rule file (the check is real)", async (t) => {
  if (!haveTools(t, [TOOLS.promtool], INSTALL.prometheus)) return;
  const broken = join(tmp, "broken.yml");
  writeFileSync(broken, stringify({ groups: [{ name: "x", rules: [{ alert: "X", expr: "procwatch_rule_status == 3 * on (job) target_info" }] }] }));
  const r = await runCommand(TOOLS.promtool, ["check", "rules", broken], { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  assert.equal(r.code, 1, r.stdout);
});

test("every alert is tested firing and not firing in procwatch-alerts.test.yml", () => {
  interface AlertTest { alertname: string; exp_alerts?: unknown[] | null }
  const file = readYaml(PATHS.ruleTests) as { tests: { alert_rule_test?: AlertTest[] }[] };
  const cases = file.tests.flatMap((t) => t.alert_rule_test ?? []);
  const missing: string[] = [];
  for (const { alert } of alertRules()) {
    const mine = cases.filter((c) => c.alertname === alert);
    if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${alert} never firing`);
    if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${alert} never quiet`);
  }
  assert.deepEqual(missing, []);
});

test("every alert has a severity Alertmanager routes on, a summary and a description", () => {
  const problems = alertRules().flatMap((r) => [
    ...(["critical", "warning"].includes(r.labels?.severity ?? "") ? [] : [`${r.alert}: severity ${r.labels?.severity}`]),
    ...(r.annotations?.summary === undefined ? [`${r.alert}: no summary`] : []),
    ...(r.annotations?.description === undefined ? [`${r.alert}: no description`] : []),
  ]);
  assert.deepEqual(problems, []);
});

test("promtool accepts every dashboard query (as recording rules, Grafana variables filled in)", async (t) => {
  if (!haveTools(t, [TOOLS.promtool], INSTALL.prometheus)) return;
  // What Grafana substitutes before sending a query: $__rate_interval a duration, the dashboard's
  // multi-value variables a regex.
  const fill = (expr: string): string => expr.replace(/\$__rate_interval/g, "1m").replace(/\$\{?(job|host|rule)\}?/g, ".*");
  const rules = dashboardQueries().map((q, i) => ({ record: `dashboard:query_${i}`, expr: fill(q.expr), labels: { where: q.where } }));
  const file = join(tmp, "dashboard-queries.yml");
  writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
  const out = await promtool(["check", "rules", file]);
  assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test("the README's alert table lists every alert with its for: and severity", () => {
  const readme = readFileSync(join(PATHS.rules, "../../README.md"), "utf8");
  const rows = [...readme.matchAll(/^\| `(Procwatch\w+)` \| .* \| (\w+) \| (\w+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  const rules = alertRules().map((r) => `${r.alert} ${r.for ?? "0s"} ${r.labels?.severity ?? ""}`);
  assert.deepEqual(rows, rules);
});
