// The `export:` section → ExportSettings: the daemon's listener (Prometheus /metrics, /verdicts)
// and the OTLP push, whose defaults come from the OTEL_EXPORTER_OTLP_* variables passed in.
// Validates addresses and URLs only; binding and sending are telemetry/ and daemon/'s business.
import { readFileSync } from "node:fs";
import { DEFAULT_PROMETHEUS_HOST, DEFAULT_PROMETHEUS_PORT, isLoopback, parseListen } from "./listen-address.js";
import { isScalar } from "yaml";
import { DEFAULT_OTLP_PROTOCOL, OTLP_PROTOCOLS, type OtlpEnv, protocolReason, parseOtlpEnv } from "./otlp-env.js";
import { DEFAULT_RESOURCE_GROUPS, type ExportSettings, type OtlpExport, type OtlpProtocol, type OtlpTls, type PrometheusExport, RESOURCE_GROUPS, type ResourceGroup } from "./types.js";
import type { Problem } from "../rules/problem.js";
export { DEFAULT_PROMETHEUS_HOST, DEFAULT_PROMETHEUS_PORT } from "./listen-address.js";
import { blame, type Field, type YamlContext, parseBool, parseDurationValue, parseMapping, parseString, parseStrings, parseWholeNumber, report, tokenOf } from "./fields.js";

/**
 * Not 9464: that is the default port of every OpenTelemetry SDK's Prometheus exporter (the OTel
 * spec says it MUST be; @opentelemetry/exporter-prometheus binds it on all addresses), so on a
 * host where any service is instrumented that way with defaults, procwatch would fail to start
 * with EADDRINUSE. 9477 is in the Prometheus exporter range (9100-9999) and is not the default of
 * any widely deployed program we know of.
 */
export const DEFAULT_TOP_PROCESSES = 10;

export const EXPORT_KEYS: readonly string[] = ["top_processes", "resource_metrics", "prometheus", "otlp"];
export const PROMETHEUS_KEYS: readonly string[] = ["enabled", "listen", "allow_public"];
export const OTLP_KEYS: readonly string[] = ["enabled", "protocol", "endpoint", "interval", "timeout"];

/** The built-in export settings: Prometheus on loopback, OTLP when the environment names a collector. */
export function defaultExport(env: NodeJS.ProcessEnv, problems: Problem[]): ExportSettings {
  const fromEnv = parseOtlpEnv(env, []);
  return {
    prometheus: { enabled: prometheusEnabled(fromEnv, undefined), host: DEFAULT_PROMETHEUS_HOST, port: DEFAULT_PROMETHEUS_PORT },
    otlp: otlpFromEnv(env, problems, undefined),
    topProcesses: DEFAULT_TOP_PROCESSES,
    resourceMetrics: DEFAULT_RESOURCE_GROUPS,
  };
}

/**
 * Precedence, one setting at a time: the file, then OTEL_METRICS_EXPORTER, then procwatch's
 * default (on). OTEL_SDK_DISABLED=true is a kill switch and wins over everything.
 */
function prometheusEnabled(fromEnv: OtlpEnv, inFile: boolean | undefined): boolean {
  if (fromEnv.sdkDisabled) return false;
  return inFile ?? fromEnv.exporters?.has("prometheus") ?? true;
}

/** OTLP settings the file does not give, from the environment (file > environment > default). */
function otlpFromEnv(env: NodeJS.ProcessEnv, problems: Problem[], enabledInFile: boolean | undefined, inFile: readonly string[] = []): OtlpExport {
  const envProblems: Problem[] = [];
  const fromEnv = parseOtlpEnv(env, envProblems);
  const enabled = !fromEnv.sdkDisabled && (enabledInFile ?? fromEnv.exporters?.has("otlp") ?? fromEnv.endpointSet);
  // Only a problem when it would be used: an OTLP export that is off sends nothing. A bad
  // OTEL_METRICS_EXPORTER is always one (it also decides the Prometheus endpoint).
  // A variable the file overrides is not used either.
  const overridden = (token: string): boolean => inFile.some((key) => FILE_OVERRIDES[key]?.test(token) === true);
  for (const p of envProblems) if ((enabled && !overridden(p.token)) || p.token.startsWith("OTEL_METRICS_EXPORTER=")) problems.push(p);
  if (enabled) checkTls(fromEnv.tls, problems);
  const protocol = fromEnv.protocol !== undefined && (OTLP_PROTOCOLS as readonly string[]).includes(fromEnv.protocol.value)
    ? fromEnv.protocol.value as OtlpProtocol : DEFAULT_OTLP_PROTOCOL;
  return {
    enabled,
    protocol,
    ...(fromEnv.endpoint === undefined ? {} : { endpoint: fromEnv.endpoint }),
    ...(fromEnv.intervalMs === undefined ? {} : { intervalMs: fromEnv.intervalMs }),
    ...(fromEnv.timeoutMs === undefined ? {} : { timeoutMs: fromEnv.timeoutMs }),
    ...(fromEnv.exportTimeoutMs === undefined ? {} : { exportTimeoutMs: fromEnv.exportTimeoutMs }),
    ...(fromEnv.headers === undefined ? {} : { headers: fromEnv.headers }),
    ...(fromEnv.compression === undefined ? {} : { compression: fromEnv.compression }),
    ...(fromEnv.tls === undefined ? {} : { tls: fromEnv.tls }),
  };
}

/** Which variables a key of export.otlp replaces. */
const FILE_OVERRIDES: Readonly<Record<string, RegExp>> = {
  protocol: /^OTEL_EXPORTER_OTLP_(METRICS_)?PROTOCOL=/,
  endpoint: /^OTEL_EXPORTER_OTLP_(METRICS_)?ENDPOINT=/,
  timeout: /^OTEL_EXPORTER_OTLP_(METRICS_)?TIMEOUT=/,
  interval: /^OTEL_METRIC_EXPORT_INTERVAL=/,
};

/** Certificates are read when the exporter starts; a missing or unreadable file is a problem now. */
function checkTls(tls: OtlpTls | undefined, problems: Problem[]): void {
  if (tls === undefined) return;
  for (const f of [tls.ca, tls.cert, tls.key]) {
    if (f === undefined) continue;
    try {
      readFileSync(f.path);
    } catch (err) {
      problems.push({ code: "environment", file: "environment", line: 1, column: 1, token: `${f.variable}=${f.path}`, reason: `cannot read the PEM file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const given = tls.cert ?? tls.key;
    problems.push({
      code: "environment", file: "environment", line: 1, column: 1, token: `${given?.variable ?? ""}=${given?.path ?? ""}`,
      reason: "a client certificate needs its key: set both OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY (or their _METRICS_ forms)",
    });
  }
}

export function parseExport(ctx: YamlContext, f: Field, env: NodeJS.ProcessEnv): ExportSettings | undefined {
  const m = parseMapping(ctx, f, { where: "under export", keys: EXPORT_KEYS });
  if (m === undefined) return undefined;
  const top = m.get("top_processes");
  const prometheus = m.get("prometheus");
  const otlp = m.get("otlp");
  const resources = m.get("resource_metrics");
  return {
    prometheus: (prometheus === undefined ? undefined : parsePrometheus(ctx, prometheus, env))
      ?? { enabled: prometheusEnabled(parseOtlpEnv(env, []), undefined), host: DEFAULT_PROMETHEUS_HOST, port: DEFAULT_PROMETHEUS_PORT },
    otlp: (otlp === undefined ? undefined : parseOtlp(ctx, otlp, env)) ?? otlpFromEnv(env, ctx.problems, undefined),
    topProcesses: (top === undefined ? undefined : parseWholeNumber(ctx, top, 0, 100, "runaway processes exported with their own CPU series")) ?? DEFAULT_TOP_PROCESSES,
    resourceMetrics: (resources === undefined ? undefined : parseResourceGroups(ctx, resources)) ?? DEFAULT_RESOURCE_GROUPS,
  };
}

/** `true` (the default groups), `false` (none) or a list of groups: fds and io only when named,
 * since each costs a read per matched process every scan (the fd directory can be large). */
function parseResourceGroups(ctx: YamlContext, f: Field): readonly ResourceGroup[] | undefined {
  if (isScalar(f.node) && typeof f.node.value === "boolean") return f.node.value ? DEFAULT_RESOURCE_GROUPS : [];
  const items = parseStrings(ctx, f);
  if (items === undefined) return undefined;
  const out: ResourceGroup[] = [];
  for (const { text, field } of items) {
    if ((RESOURCE_GROUPS as readonly string[]).includes(text)) out.push(text as ResourceGroup);
    else report(ctx, blame(field), text, `not a resource metric group; known: ${RESOURCE_GROUPS.join(", ")} (or true, false)`);
  }
  return out;
}

function parsePrometheus(ctx: YamlContext, f: Field, env: NodeJS.ProcessEnv): PrometheusExport | undefined {
  const m = parseMapping(ctx, f, { where: "under export.prometheus", keys: PROMETHEUS_KEYS });
  if (m === undefined) return undefined;
  const enabledField = m.get("enabled");
  const listenField = m.get("listen");
  const publicField = m.get("allow_public");
  const enabled = prometheusEnabled(parseOtlpEnv(env, []), enabledField === undefined ? undefined : parseBool(ctx, enabledField));
  const allowPublic = publicField === undefined ? false : parseBool(ctx, publicField);
  let address = { host: DEFAULT_PROMETHEUS_HOST, port: DEFAULT_PROMETHEUS_PORT };
  if (listenField !== undefined) {
    const text = parseString(ctx, listenField);
    const parsed = text === undefined ? undefined : parseListen(text);
    if (typeof parsed === "string") report(ctx, blame(listenField), text ?? "", parsed);
    else if (parsed !== undefined) {
      address = parsed;
      if (!isLoopback(parsed.host) && allowPublic !== true) {
        report(ctx, blame(listenField), text ?? "", "not a loopback address: /metrics and /verdicts have no authentication and list this host's processes, users and executables; "
          + "if other hosts must scrape it, set allow_public: true next to listen (and restrict it with a firewall)");
      }
    }
  }
  return { enabled, ...address };
}

function parseOtlp(ctx: YamlContext, f: Field, env: NodeJS.ProcessEnv): OtlpExport | undefined {
  const m = parseMapping(ctx, f, { where: "under export.otlp", keys: OTLP_KEYS });
  if (m === undefined) return undefined;
  const enabledField = m.get("enabled");
  const protocolField = m.get("protocol");
  const endpointField = m.get("endpoint");
  const intervalField = m.get("interval");
  const timeoutField = m.get("timeout");
  const endpoint = endpointField === undefined ? undefined : parseEndpoint(ctx, endpointField);
  const explicit = enabledField === undefined ? undefined : parseBool(ctx, enabledField);
  // An endpoint written in the file asks for the export as clearly as the environment variable does.
  const fromEnv = otlpFromEnv(env, ctx.problems, explicit ?? (endpointField !== undefined ? true : undefined), [...m.keys()]);
  let protocol = fromEnv.protocol;
  if (protocolField !== undefined) {
    const text = parseString(ctx, protocolField);
    if (text !== undefined && (OTLP_PROTOCOLS as readonly string[]).includes(text)) protocol = text as OtlpProtocol;
    else if (text !== undefined) report(ctx, blame(protocolField), text, protocolReason());
  }
  const intervalMs = intervalField === undefined ? undefined : parseDurationValue(ctx, intervalField, 1000, 3_600_000, "the OTLP push interval");
  const timeoutMs = timeoutField === undefined ? undefined : parseDurationValue(ctx, timeoutField, 100, 600_000, "the OTLP export timeout");
  if (timeoutField !== undefined && timeoutMs !== undefined && intervalMs !== undefined && timeoutMs > intervalMs) {
    report(ctx, blame(timeoutField), tokenOf(ctx, timeoutField.node), "the export timeout must not be longer than the push interval (the metric reader refuses it)");
  }
  const { endpoint: envEndpoint, intervalMs: envInterval, timeoutMs: envTimeout, ...rest } = fromEnv;
  // Key by key, the file wins; what it leaves out comes from the environment.
  const chosenEndpoint = endpointField === undefined ? envEndpoint : endpoint;
  const chosenInterval = intervalField === undefined ? envInterval : intervalMs;
  const chosenTimeout = timeoutField === undefined ? envTimeout : timeoutMs;
  return {
    ...rest,
    protocol,
    ...(chosenEndpoint === undefined ? {} : { endpoint: chosenEndpoint }),
    ...(chosenInterval === undefined ? {} : { intervalMs: chosenInterval }),
    ...(chosenTimeout === undefined ? {} : { timeoutMs: chosenTimeout }),
  };
}

/** The full metrics URL (as OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, not the base URL of OTEL_EXPORTER_OTLP_ENDPOINT). */
function parseEndpoint(ctx: YamlContext, f: Field): string | undefined {
  const text = parseString(ctx, f);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The URL constructor's only failure is an unparsable string.
    report(ctx, blame(f), text, "not a URL (e.g. http://127.0.0.1:4318/v1/metrics)");
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    report(ctx, blame(f), text, "OTLP/HTTP needs an http:// or https:// URL");
    return undefined;
  }
  if (url.pathname === "/") {
    // Given in the config, the URL is used as it is: unlike OTEL_EXPORTER_OTLP_ENDPOINT, nothing appends /v1/metrics.
    report(ctx, blame(f), text, `no path: this is the full metrics URL, as in ${url.origin}/v1/metrics (nothing appends /v1/metrics to it)`);
    return undefined;
  }
  return text;
}
