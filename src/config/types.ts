// What a daemon configuration says, after validation: plain data, independent of whether it came
// from a YAML file, the command line, or the built-in defaults. Loading lives in load.ts.
import type { CpuBasis } from "../rules/types.js";
import type { SecurityCheckName } from "../rules/security-checks.js";
import type { Rule } from "../rules/types.js";

/** CPU settings of a check: the runaway limit (off when absent) and how CPU is measured. */
export interface CpuRequest {
  readonly maxPercent?: number;
  readonly basis: CpuBasis;
  readonly exemptNames: readonly string[];
  readonly exemptUsers: readonly string[];
  readonly includeNormalUsers: boolean;
  readonly defaultExempt: boolean;
  readonly top: number;
  /** CLK_TCK override (a /proc tree captured elsewhere); default: getconf CLK_TCK. */
  readonly clockTicks?: number;
}

/** Security checks of a check (--security); exemptNames/exemptUsers apply to every check, perCheck to one. */
export interface SecurityRequest {
  readonly checks: readonly SecurityCheckName[];
  readonly exemptNames: readonly string[];
  readonly exemptUsers: readonly string[];
  readonly deletedExeMaxUid?: number;
  /** Extra exe path prefixes deleted-exe ignores (the defaults always apply). */
  readonly deletedExeIgnore: readonly string[];
  /** Where selinuxfs is mounted (selinux-enforcing reads <dir>/enforce). */
  readonly selinuxfs: string;
  /** Exemptions for one check only (the daemon's config), on top of the ones above. */
  readonly perCheck?: Readonly<Partial<Record<SecurityCheckName, CheckExemptions>>>;
}

export interface CheckExemptions {
  readonly exemptNames: readonly string[];
  readonly exemptUsers: readonly string[];
}

export type OtlpProtocol = "http/json" | "http/protobuf";
export type OtlpCompression = "gzip" | "none";

/** A PEM file named by an OTEL_EXPORTER_OTLP_* variable (kept for messages). */
export interface PemFile {
  readonly variable: string;
  readonly path: string;
}

/** TLS for an https:// collector: a private CA, and a client certificate for mutual TLS. */
export interface OtlpTls {
  readonly ca?: PemFile;
  readonly cert?: PemFile;
  readonly key?: PemFile;
}

export interface PrometheusExport {
  readonly enabled: boolean;
  /** Loopback by default: a scrape endpoint must not be public (Prometheus security guidance). */
  readonly host: string;
  readonly port: number;
}

/** Every setting resolved: file > OTEL_EXPORTER_OTLP_METRICS_* > OTEL_EXPORTER_OTLP_* > default. */
export interface OtlpExport {
  readonly enabled: boolean;
  readonly protocol: OtlpProtocol;
  /** Full metrics URL (file or environment); absent: http://localhost:4318/v1/metrics. */
  readonly endpoint?: string;
  /** Push interval; absent: the scan interval. */
  readonly intervalMs?: number;
  /** One export with its retries (the exporter's timeout); absent: 5s, at most the push interval. */
  readonly timeoutMs?: number;
  /** The reader's bound on one collect-and-export (OTEL_METRIC_EXPORT_TIMEOUT); absent: the push interval. */
  readonly exportTimeoutMs?: number;
  /** Secrets (credentials): never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly compression?: OtlpCompression;
  readonly tls?: OtlpTls;
}

export interface ExportSettings {
  readonly prometheus: PrometheusExport;
  readonly otlp: OtlpExport;
  /** Per-process CPU series: only the top N runaway offenders (bounded cardinality). */
  readonly topProcesses: number;
}

export interface DaemonConfig {
  /** Where it came from, for logs: a file path, or "built-in defaults"; with " and the command
   * line" appended when mergeCliRules added rules. */
  readonly origin: string;
  readonly rules: readonly Rule[];
  readonly intervalMs: number;
  /** Debounce: a rule, runaway or security check is reported failing only after this many
   * consecutive failing scans (1: at once). */
  readonly forCycles: number;
  readonly procRoot: string;
  readonly interpreters: readonly string[];
  /** CPU watch; in the daemon the window is the time between two consecutive scans. */
  readonly cpu?: CpuRequest;
  readonly security?: SecurityRequest;
  readonly export: ExportSettings;
}

