// The OpenTelemetry environment variables procwatch honours → the export settings they imply, with
// every unusable value a problem naming the variable. Signal-specific (OTEL_EXPORTER_OTLP_METRICS_*)
// wins over generic (OTEL_EXPORTER_OTLP_*); an empty variable is unset. Pure: reads no files.
// Spec: https://opentelemetry.io/docs/specs/otel/protocol/exporter/ and
// https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
import type { OtlpCompression, OtlpProtocol, OtlpTls } from "./types.js";
import type { Problem } from "../rules/problem.js";

export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ["http/json", "http/protobuf"];
/** The spec's default (the exporter spec: "SHOULD be http/protobuf"). */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = "http/protobuf";
const EXPORTERS = ["otlp", "prometheus", "none"] as const;

export interface OtlpEnv {
  /** OTEL_SDK_DISABLED=true: no metric export at all. */
  readonly sdkDisabled: boolean;
  /** OTEL_METRICS_EXPORTER as a set; undefined when unset (procwatch's own defaults apply). */
  readonly exporters: ReadonlySet<"otlp" | "prometheus"> | undefined;
  /** An endpoint variable is set: asks for the OTLP export when OTEL_METRICS_EXPORTER does not say. */
  readonly endpointSet: boolean;
  /** The full metrics URL: METRICS_ENDPOINT verbatim, else ENDPOINT + /v1/metrics. */
  readonly endpoint?: string;
  readonly protocol?: { readonly value: string; readonly variable: string };
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly compression?: OtlpCompression;
  readonly tls?: OtlpTls;
  /** OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT (the SDK's reader does not read them itself). */
  readonly intervalMs?: number;
  readonly exportTimeoutMs?: number;
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

/** The signal-specific variable if set, else the generic one: [name, value]. */
function specific(env: NodeJS.ProcessEnv, suffix: string): [string, string] | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_METRICS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const v = value(env, name);
    if (v !== undefined) return [name, v];
  }
  return undefined;
}

/** Reads every variable; `problems` gets the unusable ones (the caller drops them when OTLP is off). */
export function parseOtlpEnv(env: NodeJS.ProcessEnv, problems: Problem[]): OtlpEnv {
  const problem = (name: string, text: string, reason: string): void => {
    problems.push({ code: "environment", file: "environment", line: 1, column: 1, token: `${name}=${text}`, reason });
  };
  const disabled = value(env, "OTEL_SDK_DISABLED");
  const exporters = parseExporters(value(env, "OTEL_METRICS_EXPORTER"), problem);
  const endpoint = parseEndpoint(env, problem);
  const protocol = specific(env, "PROTOCOL");
  const headers = specific(env, "HEADERS");
  const timeout = specific(env, "TIMEOUT");
  const compression = specific(env, "COMPRESSION");
  const tls = parseTls(env);
  const intervalMs = parseMs(env, "OTEL_METRIC_EXPORT_INTERVAL", problem);
  const exportTimeoutMs = parseMs(env, "OTEL_METRIC_EXPORT_TIMEOUT", problem);
  const timeoutMs = timeout === undefined ? undefined : parseMs(env, timeout[0], problem);
  if (compression !== undefined && compression[1] !== "gzip" && compression[1] !== "none") problem(compression[0], compression[1], "expected gzip or none");
  if (protocol !== undefined && !(OTLP_PROTOCOLS as readonly string[]).includes(protocol[1])) problem(protocol[0], protocol[1], protocolReason());
  return {
    sdkDisabled: disabled?.toLowerCase() === "true",
    exporters,
    endpointSet: value(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") !== undefined || value(env, "OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(protocol === undefined ? {} : { protocol: { variable: protocol[0], value: protocol[1] } }),
    ...(headers === undefined ? {} : { headers: parseHeaders(headers[0], headers[1], problem) }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(compression?.[1] === "gzip" || compression?.[1] === "none" ? { compression: compression[1] } : {}),
    ...(tls === undefined ? {} : { tls }),
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(exportTimeoutMs === undefined ? {} : { exportTimeoutMs }),
  };
}

export function protocolReason(): string {
  return `unsupported OTLP protocol: procwatch sends OTLP over HTTP only (${OTLP_PROTOCOLS.join(", ")}); a Collector's OTLP/HTTP receiver listens on 4318, gRPC on 4317`;
}

type Complain = (name: string, text: string, reason: string) => void;

function parseExporters(text: string | undefined, problem: Complain): ReadonlySet<"otlp" | "prometheus"> | undefined {
  if (text === undefined) return undefined;
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const chosen = new Set<"otlp" | "prometheus">();
  for (const n of names) {
    if (!(EXPORTERS as readonly string[]).includes(n)) problem("OTEL_METRICS_EXPORTER", text, `unknown metrics exporter "${n}" (procwatch has ${EXPORTERS.join(", ")})`);
    else if (n !== "none") chosen.add(n as "otlp" | "prometheus");
  }
  if (names.includes("none") && chosen.size > 0) problem("OTEL_METRICS_EXPORTER", text, "\"none\" cannot be combined with other exporters");
  return chosen;
}

function parseEndpoint(env: NodeJS.ProcessEnv, problem: Complain): string | undefined {
  const own = value(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
  const base = value(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const [name, text, url] = own !== undefined
    ? ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", own, own]
    // The generic endpoint is a base URL: the signal path is appended to whatever path it has.
    : base !== undefined ? ["OTEL_EXPORTER_OTLP_ENDPOINT", base, `${base.replace(/\/+$/, "")}/v1/metrics`] : [undefined, undefined, undefined];
  if (name === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL constructor's only failure is an unparsable string.
    problem(name, text, "not a URL (e.g. http://127.0.0.1:4318)");
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    problem(name, text, "OTLP/HTTP needs an http:// or https:// URL");
    return undefined;
  }
  return url;
}

/** `k=v,k2=v2`, keys and values percent-decoded (W3C Baggage octet rules, as the spec says). */
function parseHeaders(name: string, text: string, problem: Complain): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    // Never echo the value: headers carry credentials.
    if (eq <= 0) {
      problem(name, "…", `an entry is not key=value (entry ${JSON.stringify(item.trim().slice(0, 20).replace(/=.*/, "=…"))})`);
      continue;
    }
    try {
      headers[decodeURIComponent(item.slice(0, eq).trim())] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      problem(name, "…", `bad percent-encoding in the entry for ${JSON.stringify(item.slice(0, eq).trim())}`);
    }
  }
  return headers;
}

function parseTls(env: NodeJS.ProcessEnv): OtlpTls | undefined {
  const ca = specific(env, "CERTIFICATE");
  const cert = specific(env, "CLIENT_CERTIFICATE");
  const key = specific(env, "CLIENT_KEY");
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  const file = (v: [string, string] | undefined) => (v === undefined ? undefined : { variable: v[0], path: v[1] });
  const caFile = file(ca);
  const certFile = file(cert);
  const keyFile = file(key);
  return { ...(caFile === undefined ? {} : { ca: caFile }), ...(certFile === undefined ? {} : { cert: certFile }), ...(keyFile === undefined ? {} : { key: keyFile }) };
}

function parseMs(env: NodeJS.ProcessEnv, name: string, problem: Complain): number | undefined {
  const text = value(env, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) <= 0) {
    problem(name, text, "expected a whole number of milliseconds above 0");
    return undefined;
  }
  return Number(text);
}
