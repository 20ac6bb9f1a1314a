// Latest observation → OTel instruments, through one batch callback. Never scans: each reader's
// collection (a Prometheus scrape, an OTLP push) runs the callback, which only reads the result
// of the loop's last scan, so scrapes cannot trigger scans and both paths see the same verdicts.
import type { Attributes, Meter, Observable } from "@opentelemetry/api";
import { ValueType } from "@opentelemetry/api";
import type { Accounts } from "../system/accounts.js";
import type { RuleVerdict } from "../evaluate/verdict.js";
import type { Observation } from "../measure/cycle.js";
import { escapeBytes, escapeText } from "../output/escape.js";
import { ATTR, INSTRUMENTS, type InstrumentId, type InstrumentSpec, STATE_VALUE } from "./instruments.js";

export interface PublishSources {
  readonly latest: () => Observation | undefined;
  readonly exportFailures: () => number;
  /** Requests whose handler threw (server.ts answered 500). */
  readonly handlerErrors?: () => number;
  readonly accounts: Accounts;
  /** Per-process CPU series for at most this many runaway offenders. */
  readonly topProcesses: number;
}

export interface Publisher {
  /** Records what only a synchronous instrument can: the scan's duration. */
  recordScan(obs: Observation): void;
}

const SCAN_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function publishObservations(meter: Meter, sources: PublishSources): Publisher {
  const observable = new Map<InstrumentId, Observable>();
  for (const [id, spec] of Object.entries(INSTRUMENTS) as [InstrumentId, InstrumentSpec][]) {
    const options = { unit: spec.unit, description: spec.description, valueType: spec.valueType === "int" ? ValueType.INT : ValueType.DOUBLE };
    if (spec.kind === "gauge") observable.set(id, meter.createObservableGauge(spec.name, options));
    else if (spec.kind === "counter") observable.set(id, meter.createObservableCounter(spec.name, options));
  }
  const duration = meter.createHistogram(INSTRUMENTS.scanDuration.name, {
    unit: INSTRUMENTS.scanDuration.unit,
    description: INSTRUMENTS.scanDuration.description,
    advice: { explicitBucketBoundaries: SCAN_BUCKETS_S },
  });
  const at = (id: InstrumentId): Observable => observable.get(id) as Observable;

  meter.addBatchObservableCallback((r) => {
    const put = (id: InstrumentId, value: number, attributes: Attributes = {}): void => r.observe(at(id), value, attributes);
    put("exportFailures", sources.exportFailures(), { [ATTR.exporter]: "otlp" });
    put("httpErrors", sources.handlerErrors?.() ?? 0);
    const obs = sources.latest();
    if (obs === undefined) return; // before the first scan there is nothing true to say
    observeRules(put, obs);
    observeRunaway(put, obs, sources);
    observeProbes(put, obs);
    observeResources(put, obs);
    for (const result of obs.measurement.security?.results ?? []) {
      // A check that does not apply (no SELinux) has no series: there is nothing to alert on.
      if (result.state === "not-applicable") continue;
      const attrs = { [ATTR.check]: result.check };
      put("securityCount", result.offenders.length, attrs);
      put("securityStatus", STATE_VALUE[result.state], attrs);
    }
    put("scanProcesses", obs.measurement.snapshot.processes.length);
    put("scans", obs.seq);
    put("scanAge", Math.max(0, (Date.now() - obs.atMs) / 1000));
    const totals = obs.errorTotals;
    put("scanErrors", totals.vanished, { [ATTR.errorType]: "vanished" });
    put("scanErrors", totals.denied, { [ATTR.errorType]: "permission_denied" });
    put("scanErrors", totals.parse, { [ATTR.errorType]: "parse" });
    put("scanErrors", totals.other, { [ATTR.errorType]: "other" });
  }, [...observable.values()]);

  return { recordScan: (obs) => duration.record(obs.durationMs / 1000) };
}

type Put = (id: InstrumentId, value: number, attributes?: Attributes) => void;

function observeRules(put: Put, obs: Observation): void {
  for (const v of obs.measurement.verdicts) {
    // Escaped like mon's summary word: the label is user-given text (argv, YAML), and a control,
    // bidi or separator character in a label would reach every dashboard and alert.
    const rule = { [ATTR.rule]: escapeText(v.rule.label) };
    put("ruleCount", v.count, rule);
    put("ruleStatus", ruleStatus(v), rule);
    if (v.rule.range.min !== undefined) put("ruleLimit", v.rule.range.min, { ...rule, [ATTR.limitType]: "min" });
    if (v.rule.range.max !== undefined) put("ruleLimit", v.rule.range.max, { ...rule, [ATTR.limitType]: "max" });
    const cpu = ruleCpu(v, obs);
    if (cpu !== undefined) put("ruleCpu", cpus(cpu), rule);
    if (v.rule.cpu?.min !== undefined) put("ruleCpuLimit", cpus(v.rule.cpu.min), { ...rule, [ATTR.limitType]: "min" });
    if (v.rule.cpu?.max !== undefined) put("ruleCpuLimit", cpus(v.rule.cpu.max), { ...rule, [ATTR.limitType]: "max" });
  }
}

/** Every probe on every collection (status); its latencies when the latest probe got that far. */
function observeProbes(put: Put, obs: Observation): void {
  for (const v of obs.measurement.probes ?? []) {
    const probe = { [ATTR.probe]: escapeText(v.rule.label) };
    put("probeStatus", v.state === "ok" ? STATE_VALUE.ok : STATE_VALUE.fail, probe);
    if (v.result.connectMs !== undefined) put("probeDuration", v.result.connectMs / 1000, { ...probe, [ATTR.probePhase]: "connect" });
    // Only a banner that matched: the time to a wrong banner is no service's latency.
    if (v.result.bannerMs !== undefined && v.failure === undefined) put("probeDuration", v.result.bannerMs / 1000, { ...probe, [ATTR.probePhase]: "banner" });
  }
}

/** ps/top's % of one CPU (what rules and flags are written in) → the {cpu} unit: 1 = one CPU. */
function cpus(percent: number): number {
  return percent / 100;
}

function ruleStatus(v: RuleVerdict): number {
  if (v.state === "fail") return STATE_VALUE.fail;
  if (v.state === "unknown") return STATE_VALUE.unknown;
  return v.warnState === "fail" ? STATE_VALUE.warn : STATE_VALUE.ok;
}

/** Total CPU % of the matched processes, or undefined while some have no figure yet (first scan,
 * a process started since the last one): a partial sum would look like a quiet process. */
function ruleCpu(v: RuleVerdict, obs: Observation): number | undefined {
  let total = 0;
  for (const p of v.matches) {
    const f = obs.figures(p);
    if (f === undefined) return undefined;
    total += f;
  }
  return total;
}

function observeRunaway(put: Put, obs: Observation, sources: PublishSources): void {
  const report = obs.measurement.runaway;
  if (report === undefined) return;
  put("runawayCount", report.offenders.length);
  put("runawayLimit", cpus(report.settings.maxPercent));
  const ticks = obs.settings.setup.cpu.clockTicks;
  // The boot time read once (btime), not now − uptime: that moves by milliseconds every scan,
  // and a creation time that moves is a new series for the same process every scan.
  const bootMs = obs.bootTimeMs;
  for (const o of report.offenders.slice(0, sources.topProcesses)) {
    const uid = o.process.uids?.real;
    put("processCpu", cpus(o.percent), {
      [ATTR.pid]: o.process.pid,
      ...(bootMs === undefined ? {} : { [ATTR.creationTime]: new Date(bootMs + (o.process.startTicks / ticks) * 1000).toISOString() }),
      // Label values must be valid UTF-8 or the whole scrape fails: escape the byte string.
      [ATTR.executableName]: escapeBytes(o.name),
      ...(uid === undefined ? {} : { [ATTR.owner]: escapeText(sources.accounts.userName(uid) ?? String(uid)) }),
    });
  }
}

/** Per-rule resources for the groups export.resource_metrics names; every rule, 0 when nothing
 * matched, and no pid attributes (a rule is the unit of aggregation). */
function observeResources(put: Put, obs: Observation): void {
  const groups = new Set(obs.settings.resourceGroups ?? []);
  if (groups.size === 0) return;
  for (const v of obs.measurement.verdicts) {
    const r = obs.resources.get(v.rule.label);
    if (r === undefined) continue;
    const rule = { [ATTR.rule]: v.rule.label };
    if (groups.has("memory")) {
      put("ruleMemory", r.memoryBytes, rule);
      put("ruleMemoryMax", r.memoryMaxBytes, rule);
      const rss = v.rule.limits?.rssBytes;
      if (rss?.min !== undefined) put("ruleMemoryLimit", rss.min, { ...rule, [ATTR.limitType]: "min" });
      if (rss?.max !== undefined) put("ruleMemoryLimit", rss.max, { ...rule, [ATTR.limitType]: "max" });
    }
    if (groups.has("threads")) put("ruleThreads", r.threads, rule);
    if (groups.has("fds")) {
      put("ruleFds", r.fds, rule);
      put("ruleFdUtilization", r.fdUtilizationMax, rule);
    }
    if (groups.has("start_time")) {
      put("ruleStartOldest", r.oldestStartSec, rule);
      put("ruleStartNewest", r.newestStartSec, rule);
    }
    if (groups.has("cpu")) {
      put("ruleCpuTime", r.cpuUserSec, { ...rule, [ATTR.cpuMode]: "user" });
      put("ruleCpuTime", r.cpuSystemSec, { ...rule, [ATTR.cpuMode]: "system" });
    }
    if (groups.has("starts")) put("ruleStarts", r.starts, rule);
    if (groups.has("faults")) put("ruleFaults", r.majorFaults, { ...rule, [ATTR.faultType]: "major" });
    if (groups.has("context_switches")) {
      put("ruleContextSwitches", r.voluntarySwitches, { ...rule, [ATTR.switchType]: "voluntary" });
      put("ruleContextSwitches", r.involuntarySwitches, { ...rule, [ATTR.switchType]: "involuntary" });
    }
    if (groups.has("io")) {
      put("ruleDiskIo", r.readBytes, { ...rule, [ATTR.ioDirection]: "read" });
      put("ruleDiskIo", r.writeBytes, { ...rule, [ATTR.ioDirection]: "write" });
    }
  }
}
