// The alerting path as an operator runs it, with the real Debian components: procwatch run's
// Prometheus endpoint → Prometheus (1 s scrape and evaluation, the shipped alert rules) →
// Alertmanager → a webhook receiver here. Asserts on the webhook payloads; every wait is bounded.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { after, test } from "node:test";
import { startDaemon } from "../helpers/daemon.js";
import { haveTools } from "../helpers/e2e.js";
import {
  ALERTMANAGER_BIN,
  describeAlertState,
  loadedAlertRules,
  PROMETHEUS_BIN,
  PROMETHEUS_INSTALL,
  promQuery,
  shortenedRules,
  startAlertmanager,
  startPrometheus,
} from "../helpers/prometheus.js";
import { ProcessPool, type SpawnedProcess, uniqueName } from "../helpers/procs.js";
import { waitUntil } from "../helpers/wait.js";
import { startWebhookReceiver, type WebhookAlert, type WebhookNotification } from "../helpers/webhook.js";
import { PATHS } from "../otel-config/shipped.js";

// The shipped rules wait 1m (ProcwatchDown) up to 15m before firing; the test copy waits 2 s. Only
// `for:` changes (rewritten with the yaml package from otel-config/prometheus/procwatch-alerts.yml),
// so the expressions, labels and annotations asserted here are the shipped ones.
const SHORT_FOR = "2s";
const SHORT_FOR_SECONDS = 2;
/** Start-up of each server, and the first scrape. */
const START_MS = 15_000;
/** One alert change through scan, scrape, evaluation, `for` and grouping: 1–4.5 s measured. */
const ALERT_MS = 20_000;
/** Alertmanager's webhook payload for a firing alert has no end yet. */
const NO_END = "0001-01-01T00:00:00Z";

const pool = new ProcessPool();
// ProcessPool kills its children and removes its directory in after(); a test process that exits
// without running after() (process.exit, a crash) would leave both behind. Only unreaped children
// are killed, so the PID cannot belong to someone else yet.
const watchedChildren: SpawnedProcess[] = [];
process.on("exit", () => {
  for (const { child } of watchedChildren) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(pool.directory, { recursive: true, force: true });
});
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  // Newest first: Prometheus stops sending before Alertmanager and the webhook go.
  for (const cleanup of cleanups.reverse()) await cleanup();
  await pool.cleanup();
});

test("a killed watched process fires ProcwatchRuleFailing with rule and host labels, its restart resolves it, a killed daemon fires ProcwatchDown", { timeout: 90_000 }, async (t) => {
  if (!haveTools(t, [PROMETHEUS_BIN, ALERTMANAGER_BIN], PROMETHEUS_INSTALL)) return;
  const name = uniqueName("al");
  const watched = await pool.start(name);
  watchedChildren.push(watched);
  // A crash loop: a shell restarting its child every second (ProcwatchRuleFlapping).
  const flap = uniqueName("fl");
  const flapShell = pool.spawnCommand("/bin/sh", ["-c", `while :; do ${pool.link(flap)} 1; done`]);
  cleanups.push(() => pool.kill(flapShell));
  const d = await startDaemon(["--interval", "1s", `${name}:1-1`, `${flap}:0-`]);
  cleanups.push(() => void d.child.kill("SIGKILL"));
  const webhook = await startWebhookReceiver();
  cleanups.push(webhook.close);
  const alertmanager = await startAlertmanager({ webhookUrl: webhook.url, groupBy: ["alertname", "procwatch_rule_name"] });
  cleanups.push(alertmanager.stop);
  const rules = shortenedRules(PATHS.rules, SHORT_FOR);
  const instance = `127.0.0.1:${d.port}`;
  const prometheus = await startPrometheus({ job: "procwatch", target: instance, alertmanager: `127.0.0.1:${alertmanager.port}`, rules: rules.text });
  cleanups.push(prometheus.stop);

  const context = async () => [
    webhook.describe(),
    await describeAlertState(prometheus, alertmanager),
    prometheus.tail(),
    alertmanager.tail(),
    `--- last lines of procwatch run's log ---\n${d.log.slice(-20).join("\n")}`,
  ].join("\n");
  const wait = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number) => waitUntil(what, probe, { timeoutMs, context });
  /** The first alert (with its notification) in the webhook's log that `matches`. */
  const awaitAlert = (what: string, matches: (a: WebhookAlert) => boolean) =>
    wait(what, () => {
      for (const notification of webhook.notifications) {
        const alert = notification.alerts.find(matches);
        if (alert !== undefined) return { notification, alert };
      }
      return undefined;
    }, ALERT_MS);
  const mentionsRule = (n: WebhookNotification) => n.alerts.some((a) => a.labels.procwatch_rule_name === name);

  // Prometheus runs the shipped alerts, with only the `for:` durations shortened.
  const loaded = await wait("Prometheus to load the rules", async () => {
    const r = await loadedAlertRules(prometheus);
    return r.length > 0 ? r : undefined;
  }, START_MS);
  // Prometheus lists the groups by name, not in file order.
  const byName = (a: [string, number], b: [string, number]) => a[0].localeCompare(b[0]);
  assert.deepEqual(
    loaded.map((r): [string, number] => [r.name, r.duration]).sort(byName),
    rules.alerts.map((a): [string, number] => [a.name, a.for === SHORT_FOR ? SHORT_FOR_SECONDS : 0]).sort(byName),
  );
  assert.ok(rules.alerts.some((a) => a.name === "ProcwatchDown" && a.for === SHORT_FOR), JSON.stringify(rules.alerts));

  // The rule as Prometheus sees it while the process runs: ok, and the host on target_info.
  const { ok, info } = await wait("Prometheus to scrape the rule as ok, and target_info", async () => {
    const [okSample] = await promQuery(prometheus, `procwatch_rule_status{job="procwatch",procwatch_rule_name="${name}"} == 0`);
    const [infoSample] = await promQuery(prometheus, `target_info{job="procwatch"}`);
    return okSample !== undefined && infoSample !== undefined ? { ok: okSample, info: infoSample } : undefined;
  }, START_MS);
  assert.equal(info.metric.host_name, hostname());
  assert.equal(ok.metric.instance, instance);
  assert.ok(!webhook.notifications.some(mentionsRule), `a notification for ${name} while it runs:\n${webhook.describe()}`);

  // Kill the watched process: the rule fails, and the alert reaches the webhook.
  const killedAt = Date.now();
  await pool.kill(watched);
  const firing = await awaitAlert(`a firing ProcwatchRuleFailing for ${name}`, (a) => a.labels.alertname === "ProcwatchRuleFailing" && a.labels.procwatch_rule_name === name);
  t.diagnostic(`ProcwatchRuleFailing firing ${Date.now() - killedAt} ms after the kill`);
  assert.equal(firing.alert.status, "firing");
  assert.equal(firing.alert.endsAt, NO_END);
  // The alert carries its series' labels (job, instance, otel_scope_*, the rule) plus the host
  // joined from target_info and the rule's severity: nothing more, nothing less.
  const { __name__: _metric, ...seriesLabels } = ok.metric;
  assert.equal(seriesLabels.job, "procwatch");
  assert.deepEqual(firing.alert.labels, { ...seriesLabels, alertname: "ProcwatchRuleFailing", procwatch_rule_name: name, host_name: hostname(), severity: "critical" });
  assert.deepEqual(firing.alert.annotations, {
    summary: `procwatch rule ${name} fails on ${hostname()}`,
    description: `${name}: 0 matching process(es), allowed 1-1. \`procwatch check --from http://127.0.0.1:9477\` on the host lists the processes.`,
  });
  assert.equal(firing.notification.version, "4");
  assert.equal(firing.notification.receiver, "test-webhook");
  assert.equal(firing.notification.status, "firing");
  assert.deepEqual(firing.notification.groupLabels, { alertname: "ProcwatchRuleFailing", procwatch_rule_name: name });
  assert.match(firing.alert.generatorURL, /\/graph\?g0\.expr=/);
  assert.equal(webhook.notifications.find(mentionsRule), firing.notification, "the first notification for the rule is the firing one");

  // Restart it: the same alert (same fingerprint and labels) is resolved.
  const restartedAt = Date.now();
  watchedChildren.push(await pool.start(name));
  const resolved = await awaitAlert(`the resolved ProcwatchRuleFailing for ${name}`, (a) => a.fingerprint === firing.alert.fingerprint && a.status === "resolved");
  t.diagnostic(`ProcwatchRuleFailing resolved ${Date.now() - restartedAt} ms after the restart`);
  assert.equal(resolved.notification.status, "resolved");
  assert.deepEqual(resolved.alert.labels, firing.alert.labels);
  assert.equal(resolved.alert.startsAt, firing.alert.startsAt);
  assert.notEqual(resolved.alert.endsAt, NO_END);
  assert.ok(Date.parse(resolved.alert.endsAt) >= Date.parse(resolved.alert.startsAt), `${resolved.alert.startsAt} → ${resolved.alert.endsAt}`);

  // The crash loop: more than 5 starts within 15 minutes fires ProcwatchRuleFlapping for its rule.
  const flapping = await awaitAlert(`a firing ProcwatchRuleFlapping for ${flap}`, (a) => a.labels.alertname === "ProcwatchRuleFlapping" && a.labels.procwatch_rule_name === flap);
  assert.deepEqual(flapping.alert.labels, { ...seriesLabels, alertname: "ProcwatchRuleFlapping", procwatch_rule_name: flap, host_name: hostname(), severity: "warning" });
  assert.equal(flapping.alert.annotations.summary, `processes of ${flap} keep restarting on ${hostname()}`);
  assert.match(flapping.alert.annotations.description ?? "", new RegExp(`^About \\d+ new processes matched ${flap} in the last 15 minutes`));

  // Kill procwatch itself (SIGKILL by PID: no flush, no goodbye): the target goes down and
  // ProcwatchDown fires, with the host from the last target_info Prometheus kept.
  const daemonKilledAt = Date.now();
  process.kill(d.pid, "SIGKILL");
  await d.exited(5000);
  const down = await awaitAlert("a firing ProcwatchDown", (a) => a.labels.alertname === "ProcwatchDown" && a.status === "firing");
  t.diagnostic(`ProcwatchDown firing ${Date.now() - daemonKilledAt} ms after procwatch was killed`);
  assert.deepEqual(down.alert.labels, { alertname: "ProcwatchDown", job: "procwatch", instance, host_name: hostname(), severity: "critical" });
  assert.equal(down.alert.annotations.summary, `procwatch is down on ${hostname()}`);
  assert.match(down.alert.annotations.description ?? "", new RegExp(`^Prometheus cannot scrape procwatch at ${instance.replace(/\./g, "\\.")}: the daemon or the host is down\\.`));
  assert.deepEqual(down.notification.groupLabels, { alertname: "ProcwatchDown" });

  assert.deepEqual(webhook.rejected, []);
});
