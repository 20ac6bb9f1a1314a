// A real Prometheus and Alertmanager (Debian's binaries) for the alerting end-to-end test: configs
// written into temp directories, 1 s scrape/evaluation and 1 s grouping, loopback listeners only,
// clustering off. Test-only; the shipped configs in otel-config/ are read, never changed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePort, httpGet } from "./daemon.js";
import { serverDir, spawnServer, type ServerProcess } from "./server-process.js";

export const PROMETHEUS_BIN = "/usr/bin/prometheus";
export const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";
export const PROMETHEUS_INSTALL = "apt-get install prometheus prometheus-alertmanager";

interface RuleFile {
  groups: { name: string; rules: { alert?: string; for?: string }[] }[];
}

/**
 * The shipped rule file with every non-zero `for:` replaced by `shortFor`, as YAML text.
 * Expressions, labels and annotations stay exactly as shipped, so the test follows the rules.
 */
export function shortenedRules(path: string, shortFor: string): { text: string; alerts: { name: string; for: string }[] } {
  const file = parse(readFileSync(path, "utf8")) as RuleFile;
  const alerts: { name: string; for: string }[] = [];
  for (const group of file.groups) {
    for (const rule of group.rules) {
      if (rule.for !== undefined && !/^0[a-z]*$/.test(rule.for)) rule.for = shortFor;
      if (rule.alert !== undefined) alerts.push({ name: rule.alert, for: rule.for ?? "0s" });
    }
  }
  return { text: stringify(file), alerts };
}

export interface AlertmanagerOptions {
  /** Where the single receiver posts (webhook_configs, send_resolved). */
  readonly webhookUrl: string;
  /** Alertmanager's group_by. */
  readonly groupBy: readonly string[];
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<ServerProcess> {
  const dir = serverDir("alertmanager");
  const port = await freePort();
  const config = {
    route: {
      receiver: "test-webhook",
      group_by: options.groupBy,
      // Production defaults are 30s / 5m / 4h; 1 s lets a change reach the webhook within a second.
      group_wait: "1s",
      group_interval: "1s",
      // A repeat tells the test nothing new; long, so the webhook log holds only state changes.
      repeat_interval: "1h",
    },
    receivers: [{ name: "test-webhook", webhook_configs: [{ url: options.webhookUrl, send_resolved: true }] }],
  };
  const configFile = join(dir, "alertmanager.yml");
  writeFileSync(configFile, stringify(config));
  return spawnServer({
    name: "alertmanager",
    command: ALERTMANAGER_BIN,
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // empty: no cluster (gossip) listener, which would otherwise bind 0.0.0.0:9094
      "--cluster.listen-address=",
    ],
    port,
    dir,
  });
}

export interface PrometheusOptions {
  /** The scrape job's name (the rules select job="procwatch"). */
  readonly job: string;
  /** host:port scraped at /metrics. */
  readonly target: string;
  /** host:port of the Alertmanager. */
  readonly alertmanager: string;
  /** Rule file contents (YAML). */
  readonly rules: string;
}

export async function startPrometheus(options: PrometheusOptions): Promise<ServerProcess> {
  const dir = serverDir("prometheus");
  const port = await freePort();
  const rulesFile = join(dir, "rules.yml");
  writeFileSync(rulesFile, options.rules);
  const config = {
    // scrape_timeout must not exceed scrape_interval (default 10s would be rejected).
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: [rulesFile],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] },
    scrape_configs: [{ job_name: options.job, static_configs: [{ targets: [options.target] }] }],
  };
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  return spawnServer({
    name: "prometheus",
    command: PROMETHEUS_BIN,
    args: [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    port,
    dir,
  });
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** An instant query through the HTTP API; throws on anything but a successful vector. */
export async function promQuery(prometheus: ServerProcess, expr: string): Promise<PromSample[]> {
  const r = await httpGet(`${prometheus.base}/api/v1/query?query=${encodeURIComponent(expr)}`, 5000);
  const body = JSON.parse(r.body) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (r.status !== 200 || body.status !== "success" || body.data?.resultType !== "vector") throw new Error(`query ${expr}: HTTP ${r.status} ${r.body}`);
  return body.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
}

export interface LoadedAlertRule {
  readonly name: string;
  /** The `for:` duration in seconds. */
  readonly duration: number;
  readonly health: string;
  readonly state: string;
}

/** The alerting rules Prometheus has loaded (GET /api/v1/rules?type=alert). */
export async function loadedAlertRules(prometheus: ServerProcess): Promise<LoadedAlertRule[]> {
  const r = await httpGet(`${prometheus.base}/api/v1/rules?type=alert`, 5000);
  const body = JSON.parse(r.body) as { status: string; data?: { groups: { rules: LoadedAlertRule[] }[] } };
  if (r.status !== 200 || body.status !== "success" || body.data === undefined) throw new Error(`rules: HTTP ${r.status} ${r.body}`);
  return body.data.groups.flatMap((g) => g.rules.map(({ name, duration, health, state }) => ({ name, duration, health, state })));
}

/**
 * The alerts Prometheus holds (pending, firing) and those Alertmanager holds, one line each, for
 * failure messages: shows at which hop an alert stopped. Never throws.
 */
export async function describeAlertState(prometheus: ServerProcess, alertmanager: ServerProcess): Promise<string> {
  const lines: string[] = [];
  try {
    const r = await httpGet(`${prometheus.base}/api/v1/alerts`, 2000);
    const alerts = (JSON.parse(r.body) as { data?: { alerts?: { state: string; labels: Record<string, string> }[] } }).data?.alerts ?? [];
    lines.push(`--- prometheus: ${alerts.length} alert(s) ---`, ...alerts.map((a) => `${a.state} ${JSON.stringify(a.labels)}`));
  } catch (err) {
    lines.push(`--- prometheus alerts unavailable: ${(err as Error).message} ---`);
  }
  try {
    const r = await httpGet(`${alertmanager.base}/api/v2/alerts`, 2000);
    const alerts = JSON.parse(r.body) as { status?: { state?: string }; labels: Record<string, string> }[];
    lines.push(`--- alertmanager: ${alerts.length} alert(s) ---`, ...alerts.map((a) => `${a.status?.state ?? "?"} ${JSON.stringify(a.labels)}`));
  } catch (err) {
    lines.push(`--- alertmanager alerts unavailable: ${(err as Error).message} ---`);
  }
  return lines.join("\n");
}
