// The metric table: every instrument procwatch exports, with unit, kind and attributes. The single
// source of truth for publish.ts, the README's metric table (a test compares them) and the shipped
// alert rules and dashboard (tests check every metric they name is here). Data only: no SDK import.
//
// Principles (docs/metrics.md): the rule is the unit of aggregation; every
// configured rule and check is observed on every collection, 0 included, from the first scan on;
// no pid, command-line or exe attributes on per-rule series; per-process series are capped (top N
// runaway offenders). Names avoid unit suffixes a Collector would add (docs/metrics.md), so the Prometheus
// names below are the same on a direct scrape and behind a Collector, except where `collectorName` says.
//
// CPU is in the unit {cpu}: 1 = one CPU fully busy for the whole interval (semconv's unit for
// container.cpu.usage and k8s.*.cpu.usage), the ps/top percentage divided by 100, so a rule's
// cpu=50- is a limit of 0.5 beside a usage of 0.5. Prometheus asks for base units and ratios, not
// percent (https://prometheus.io/docs/practices/naming/#base-units).
//
// The runaway series are procwatch's own, not semconv's process.cpu.utilization: semconv puts a
// process's identity (process.pid, process.creation.time) on the resource, one resource per
// process, and requires cpu.mode on the point; one daemon has one resource, and a runaway is one
// figure (user + system) over procwatch's window. Borrowing the name with another shape would
// break queries written for the Collector's hostmetrics process scraper, so these live under
// procwatch.* with procwatch.process.* attributes, and share the {cpu} scale of the limit they broke.
//
// The `.count` gauges (Prometheus *_process_count) follow semconv's {process} counts
// (system.process.count); promtool's lint reserves _count for histograms and flags them: the
// README lists them as the accepted exceptions, and the test running promtool allows only those.

export type InstrumentKind = "gauge" | "counter" | "histogram";

export interface InstrumentSpec {
  /** OTLP name. */
  readonly name: string;
  readonly kind: InstrumentKind;
  /** UCUM unit ("" for a plain number). */
  readonly unit: string;
  readonly valueType: "int" | "double";
  readonly description: string;
  /** Attribute keys (OTLP spelling) every point carries. */
  readonly attributes: readonly string[];
  /** Name on a direct scrape of procwatch's Prometheus endpoint. */
  readonly prometheusName: string;
  /** Name behind an OTel Collector's prometheus exporter, when it differs (unit suffix). */
  readonly collectorName?: string;
}

export const ATTR = {
  rule: "procwatch.rule.name",
  limitType: "procwatch.limit.type",
  check: "procwatch.security.check",
  errorType: "procwatch.error.type",
  exporter: "procwatch.exporter",
  probe: "procwatch.probe.name",
  probePhase: "procwatch.probe.phase",
  pid: "procwatch.process.pid",
  creationTime: "procwatch.process.creation.time",
  executableName: "procwatch.process.executable.name",
  owner: "procwatch.process.owner",
  cpuMode: "cpu.mode",
  faultType: "system.paging.fault.type",
  switchType: "process.context_switch.type",
  ioDirection: "disk.io.direction",
} as const;

/** Rule and check states as numbers, the Nagios convention: alert on `> 0` or `== 2`. */
export const STATE_VALUE = { ok: 0, warn: 1, fail: 2, unknown: 3 } as const;

export const INSTRUMENTS = {
  ruleCount: {
    name: "procwatch.rule.process.count", kind: "gauge", unit: "{process}", valueType: "int",
    description: "Processes matching the rule in the latest scan (0 when none).",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_process_count",
  },
  ruleLimit: {
    name: "procwatch.rule.process.count.limit", kind: "gauge", unit: "{process}", valueType: "int",
    description: "The rule's count bounds; an unbounded side is not reported.",
    attributes: [ATTR.rule, ATTR.limitType], prometheusName: "procwatch_rule_process_count_limit",
  },
  ruleStatus: {
    name: "procwatch.rule.status", kind: "gauge", unit: "", valueType: "int",
    description: "Debounced rule verdict: 0 ok, 1 warning (outside warn=, range still holds), 2 failing, 3 unknown (could not be decided).",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_status",
  },
  ruleCpu: {
    name: "procwatch.rule.cpu.usage", kind: "gauge", unit: "{cpu}", valueType: "double",
    description: "Total CPU of the rule's matched processes between the last two scans, in CPUs (1 = one CPU fully busy; ps/top's 150% is 1.5).",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_cpu_usage",
  },
  ruleCpuLimit: {
    name: "procwatch.rule.cpu.usage.limit", kind: "gauge", unit: "{cpu}", valueType: "double",
    description: "The rule's cpu= bounds, in CPUs (cpu=50- is a minimum of 0.5); only for rules with cpu=.",
    attributes: [ATTR.rule, ATTR.limitType], prometheusName: "procwatch_rule_cpu_usage_limit",
  },
  runawayCount: {
    name: "procwatch.runaway.process.count", kind: "gauge", unit: "{process}", valueType: "int",
    description: "Processes over the CPU limit (--cpu-max, not exempt), debounced; only when a CPU limit is set.",
    attributes: [], prometheusName: "procwatch_runaway_process_count",
  },
  runawayLimit: {
    name: "procwatch.runaway.cpu.usage.limit", kind: "gauge", unit: "{cpu}", valueType: "double",
    description: "The runaway CPU limit, in CPUs (--cpu-max 90 is 0.9).",
    attributes: [], prometheusName: "procwatch_runaway_cpu_usage_limit",
  },
  processCpu: {
    name: "procwatch.runaway.cpu.usage", kind: "gauge", unit: "{cpu}", valueType: "double",
    description: "CPU of a runaway process between the last two scans, in CPUs (1 = one CPU fully busy), beside procwatch.runaway.cpu.usage.limit; top N offenders only.",
    attributes: [ATTR.pid, ATTR.creationTime, ATTR.executableName, ATTR.owner],
    prometheusName: "procwatch_runaway_cpu_usage",
  },
  securityCount: {
    name: "procwatch.security.process.count", kind: "gauge", unit: "{process}", valueType: "int",
    description: "Processes breaking the security check (not exempt), debounced.",
    attributes: [ATTR.check], prometheusName: "procwatch_security_process_count",
  },
  securityStatus: {
    name: "procwatch.security.status", kind: "gauge", unit: "", valueType: "int",
    description: "Debounced security check verdict: 0 ok, 2 failing, 3 unknown; a check that does not apply (no SELinux) is not reported.",
    attributes: [ATTR.check], prometheusName: "procwatch_security_status",
  },
  probeStatus: {
    name: "procwatch.probe.status", kind: "gauge", unit: "", valueType: "int",
    description: "Debounced probe verdict: 0 up (connected, and the banner matched if banner= is set), 2 down (refused, timed out, wrong banner, closed, other error).",
    attributes: [ATTR.probe], prometheusName: "procwatch_probe_status",
  },
  probeDuration: {
    name: "procwatch.probe.duration", kind: "gauge", unit: "s", valueType: "double",
    description: "Seconds from the start of the latest probe until it connected (phase connect) and until its banner matched (phase banner, banner= probes only); a phase the probe did not reach is not reported.",
    attributes: [ATTR.probe, ATTR.probePhase], prometheusName: "procwatch_probe_duration", collectorName: "procwatch_probe_duration_seconds",
  },
  scanDuration: {
    name: "procwatch.scan.duration", kind: "histogram", unit: "s", valueType: "double",
    description: "Wall time of one scan and evaluation.",
    attributes: [], prometheusName: "procwatch_scan_duration", collectorName: "procwatch_scan_duration_seconds",
  },
  scanProcesses: {
    name: "procwatch.scan.process.count", kind: "gauge", unit: "{process}", valueType: "int",
    description: "Processes seen by the latest scan.",
    attributes: [], prometheusName: "procwatch_scan_process_count",
  },
  scanErrors: {
    name: "procwatch.scan.errors", kind: "counter", unit: "{error}", valueType: "int",
    description: "Reads that failed, by kind: vanished (normal), permission_denied, parse, other.",
    attributes: [ATTR.errorType], prometheusName: "procwatch_scan_errors_total",
  },
  scans: {
    name: "procwatch.scans", kind: "counter", unit: "{scan}", valueType: "int",
    description: "Scans completed since start.",
    attributes: [], prometheusName: "procwatch_scans_total",
  },
  scanAge: {
    name: "procwatch.scan.age", kind: "gauge", unit: "s", valueType: "double",
    description: "Seconds since the latest scan started: grows when scanning is stuck.",
    attributes: [], prometheusName: "procwatch_scan_age", collectorName: "procwatch_scan_age_seconds",
  },
  exportFailures: {
    name: "procwatch.export.failures", kind: "counter", unit: "{export}", valueType: "int",
    description: "OTLP exports whose points were dropped: failed after the exporter's retries, or skipped while a collector's Retry-After runs (cumulative sums heal on the next success).",
    attributes: [ATTR.exporter], prometheusName: "procwatch_export_failures_total",
  },
  httpErrors: {
    name: "procwatch.http.handler.errors", kind: "counter", unit: "{request}", valueType: "int",
    description: "Requests to the daemon's listeners (TCP and Unix socket) whose handler failed: answered 500, the daemon goes on. Any is a bug worth reporting.",
    attributes: [], prometheusName: "procwatch_http_handler_errors_total",
  },
  // Per-rule resources (issue 16; export.resource_metrics picks the groups): semconv's per-process
  // metrics (process.memory.usage, process.cpu.time with cpu.mode, ...) summed over the rule's
  // matched processes, under procwatch.rule.* for the reason the runaway series are (header).
  ruleMemory: {
    name: "procwatch.rule.memory.usage", kind: "gauge", unit: "By", valueType: "int",
    description: "Resident memory (VmRSS) summed over the rule's matched processes (0 when none); group memory.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_memory_usage", collectorName: "procwatch_rule_memory_usage_bytes",
  },
  ruleMemoryMax: {
    name: "procwatch.rule.memory.usage.max", kind: "gauge", unit: "By", valueType: "int",
    description: "Resident memory of the rule's largest matched process (0 when none); group memory.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_memory_usage_max", collectorName: "procwatch_rule_memory_usage_max_bytes",
  },
  ruleMemoryLimit: {
    name: "procwatch.rule.memory.usage.limit", kind: "gauge", unit: "By", valueType: "int",
    description: "The rule's rss= bounds (per process); only for rules with rss=.",
    attributes: [ATTR.rule, ATTR.limitType], prometheusName: "procwatch_rule_memory_usage_limit", collectorName: "procwatch_rule_memory_usage_limit_bytes",
  },
  ruleThreads: {
    name: "procwatch.rule.thread.count", kind: "gauge", unit: "{thread}", valueType: "int",
    description: "Threads summed over the rule's matched processes (0 when none); group threads.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_thread_count",
  },
  ruleFds: {
    name: "procwatch.rule.file_descriptor.count", kind: "gauge", unit: "{file_descriptor}", valueType: "int",
    description: "Open file descriptors summed over the rule's matched processes (0 when none); group fds.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_file_descriptor_count",
  },
  ruleFdUtilization: {
    name: "procwatch.rule.file_descriptor.utilization.max", kind: "gauge", unit: "1", valueType: "double",
    description: "The highest share of its soft RLIMIT_NOFILE one matched process has open (0 when none); group fds.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_file_descriptor_utilization_max", collectorName: "procwatch_rule_file_descriptor_utilization_max_ratio",
  },
  ruleStartOldest: {
    name: "procwatch.rule.process.start_time.oldest", kind: "gauge", unit: "s", valueType: "double",
    description: "Start time of the rule's oldest matched process, seconds since the epoch (0 when none); group start_time.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_process_start_time_oldest", collectorName: "procwatch_rule_process_start_time_oldest_seconds",
  },
  ruleStartNewest: {
    name: "procwatch.rule.process.start_time.newest", kind: "gauge", unit: "s", valueType: "double",
    description: "Start time of the rule's newest matched process, seconds since the epoch (0 when none); group start_time.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_process_start_time_newest", collectorName: "procwatch_rule_process_start_time_newest_seconds",
  },
  ruleCpuTime: {
    name: "procwatch.rule.cpu.time", kind: "counter", unit: "s", valueType: "double",
    description: "CPU time of the rule's matched processes since the daemon started, by cpu.mode (user, system); monotonic across exits (a new process adds its lifetime CPU); group cpu.",
    attributes: [ATTR.rule, ATTR.cpuMode], prometheusName: "procwatch_rule_cpu_time_total", collectorName: "procwatch_rule_cpu_time_seconds_total",
  },
  ruleStarts: {
    name: "procwatch.rule.process.starts", kind: "counter", unit: "{process}", valueType: "int",
    description: "New processes (pid and start time) the rule matched since the daemon started, not counting those of its first scan: increase() over a window counts restarts; group starts.",
    attributes: [ATTR.rule], prometheusName: "procwatch_rule_process_starts_total",
  },
  ruleFaults: {
    name: "procwatch.rule.paging.faults", kind: "counter", unit: "{fault}", valueType: "int",
    description: "Major page faults of the rule's matched processes since the daemon started (system.paging.fault.type major); group faults.",
    attributes: [ATTR.rule, ATTR.faultType], prometheusName: "procwatch_rule_paging_faults_total",
  },
  ruleContextSwitches: {
    name: "procwatch.rule.context_switches", kind: "counter", unit: "{context_switch}", valueType: "int",
    description: "Context switches of the matched processes' leader threads since the daemon started, by process.context_switch.type (voluntary, involuntary); group context_switches.",
    attributes: [ATTR.rule, ATTR.switchType], prometheusName: "procwatch_rule_context_switches_total",
  },
  ruleDiskIo: {
    name: "procwatch.rule.disk.io", kind: "counter", unit: "By", valueType: "int",
    description: "Bytes the matched processes made storage read and write since the daemon started, by disk.io.direction; processes whose io is unreadable add nothing; group io.",
    attributes: [ATTR.rule, ATTR.ioDirection], prometheusName: "procwatch_rule_disk_io_total", collectorName: "procwatch_rule_disk_io_bytes_total",
  },
} as const satisfies Record<string, InstrumentSpec>;

export type InstrumentId = keyof typeof INSTRUMENTS;
